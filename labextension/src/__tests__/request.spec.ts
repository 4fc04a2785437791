import { storeChanged } from '../request';

describe('storeChanged', () => {
  it('can be connected to and emitted (the plugins do both when they start)', () => {
    let calls = 0;
    const listener = () => {
      calls += 1;
    };
    expect(storeChanged.connect(listener)).toBe(true);
    storeChanged.emit();
    storeChanged.disconnect(listener);
    storeChanged.emit();
    expect(calls).toBe(1);
  });
});
