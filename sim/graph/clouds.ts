import type { CloudName } from './model.js';

export interface CloudHosts {
  /** Graph root as documented (no version). */
  readonly graphHost: string;
  /** Entra authority host as documented. */
  readonly loginHost: string;
  /** Other login hosts MSAL treats as aliases. */
  readonly loginAliases: readonly string[];
}

/** Documented hosts per cloud (graph.md section 7). GCC ("moderate") uses the worldwide hosts. */
export const CLOUD_HOSTS: Readonly<Record<CloudName, CloudHosts>> = Object.freeze({
  worldwide: { graphHost: 'https://graph.microsoft.com', loginHost: 'https://login.microsoftonline.com', loginAliases: ['https://login.windows.net', 'https://login.microsoft.com', 'https://sts.windows.net'] },
  gcc: { graphHost: 'https://graph.microsoft.com', loginHost: 'https://login.microsoftonline.com', loginAliases: ['https://login.windows.net', 'https://login.microsoft.com', 'https://sts.windows.net'] },
  gccHigh: { graphHost: 'https://graph.microsoft.us', loginHost: 'https://login.microsoftonline.us', loginAliases: ['https://login.usgovcloudapi.net'] },
  dod: { graphHost: 'https://dod-graph.microsoft.us', loginHost: 'https://login.microsoftonline.us', loginAliases: ['https://login.usgovcloudapi.net'] },
  china: { graphHost: 'https://microsoftgraph.chinacloudapi.cn', loginHost: 'https://login.partner.microsoftonline.cn', loginAliases: ['https://login.chinacloudapi.cn'] },
});

export const CLOUD_NAMES: readonly CloudName[] = Object.freeze(['worldwide', 'gcc', 'gccHigh', 'dod', 'china']);

/** Microsoft Graph's resource app id. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
