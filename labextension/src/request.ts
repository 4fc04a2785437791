import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

/** The URL namespace of the nepnb server extension. */
export const API_NAMESPACE = 'nepnb/api';

/**
 * Emitted when the server extension's store may have changed (a token set or forgotten, a
 * new tracking server address): the panels load their lists again. Its sender is an object:
 * lumino keeps connections in a WeakMap keyed by the sender, which a string cannot be.
 */
export const storeChanged = new Signal<object, void>({ namespace: API_NAMESPACE });

/** An error answered by the nepnb server extension, with its message. */
export class NepnbRequestError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'NepnbRequestError';
  }
}

/**
 * Call the nepnb server extension.
 *
 * `ServerConnection.makeRequest` adds the authentication and XSRF headers
 * of the page's session, so every handler stays authenticated.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const requestUrl = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(requestUrl, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  const text = await response.text();
  let data: any = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // not JSON: keep the text for the error message
    }
  }
  if (!response.ok) {
    const message =
      (data && typeof data === 'object' && data.message) ||
      `nepnb: ${response.status} ${response.statusText}`;
    throw new NepnbRequestError(message, response.status);
  }
  return data as T;
}
