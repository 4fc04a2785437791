import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { CommandIDs } from '../commands';
import { runsIcon } from '../icons';
import { storeChanged } from '../request';
import { showInMainArea } from '../shell';
import { INepnbSettings } from '../tokens';
import { CompareRuns } from './compare';
import { RunDetail } from './detail';
import { RunsModel } from './model';
import { RunsPanel } from './panel';

/** The category of nepnb's commands in the palette. */
const PALETTE_CATEGORY = 'nepnb';

/**
 * The runs panel in the left sidebar, a run's detail and the comparison of
 * runs in the main area (a dialog in Notebook 7, whose main area holds one
 * document), and their commands.
 */
export const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'nepnb:runs',
  description: 'nepnb: the runs of a project as a table, run details and charts comparing runs.',
  autoStart: true,
  optional: [ICommandPalette, INepnbSettings, ILabShell, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    settings: INepnbSettings | null,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const model = new RunsModel();
    storeChanged.connect(() => void model.refresh());
    const panel = new RunsPanel(model, {
      open: id => void app.commands.execute(CommandIDs.openRun, { id }),
      compare: ids => void app.commands.execute(CommandIDs.compareRuns, { ids })
    });
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, panel.id); // reopened after a reload if it was open

    /** Show a run or comparison; one already open is brought forward instead. */
    const show = (widget: RunDetail | CompareRuns) => showInMainArea(app, labShell, widget);

    app.commands.addCommand(CommandIDs.openRuns, {
      label: 'Show nepnb runs',
      caption: 'The runs of the project as a table',
      icon: runsIcon,
      execute: () => {
        app.shell.activateById(panel.id);
        return model.refresh();
      }
    });

    app.commands.addCommand(CommandIDs.openRun, {
      label: args => (args.id ? `Open run ${args.id}` : 'Open a nepnb run'),
      caption: 'A run with its charts and fields (args: id, project)',
      icon: runsIcon,
      execute: args => {
        const id = args.id as string | undefined;
        if (!id) {
          app.shell.activateById(panel.id);
          return;
        }
        show(new RunDetail(model, id, (args.project as string) || model.project));
      }
    });

    app.commands.addCommand(CommandIDs.compareRuns, {
      label: 'Compare the selected nepnb runs',
      caption: 'The selected runs on one chart (args: ids, project)',
      icon: runsIcon,
      isEnabled: args => ((args.ids as string[] | undefined) ?? model.selection).length > 0,
      execute: args => {
        const ids = (args.ids as string[] | undefined) ?? model.selection;
        if (ids.length > 0) {
          show(new CompareRuns(model, ids, (args.project as string) || model.project));
        }
      }
    });

    if (palette) {
      for (const command of [CommandIDs.openRuns, CommandIDs.openRun, CommandIDs.compareRuns]) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }

    if (settings) {
      const apply = () => {
        model.project = settings.project;
      };
      apply();
      settings.changed.connect(apply);
    }
    if (panel.isVisible) {
      void model.refresh();
    }
  }
};
