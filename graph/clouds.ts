import { GraphCloudRefusedError } from './errors.js';

/**
 * Microsoft 365 clouds and which of them this deployment serves. Worldwide (and GCC, which runs on
 * the worldwide hosts) always; GCC High only in government mode; DoD, China (21Vianet) and Germany
 * never (an app registered in the worldwide cloud cannot get tokens there; Germany closed in 2021).
 */
export type CloudName = 'worldwide' | 'gcc' | 'gccHigh' | 'dod' | 'china' | 'germany';

export const CLOUD_NAMES: readonly CloudName[] = Object.freeze(['worldwide', 'gcc', 'gccHigh', 'dod', 'china', 'germany']);

export interface CloudEndpoints {
  /** Graph root, no version. */
  readonly graphHost: string;
  /** Entra authority host. */
  readonly loginHost: string;
  readonly label: string;
}

export const CLOUD_ENDPOINTS: Readonly<Record<CloudName, CloudEndpoints>> = Object.freeze({
  worldwide: { graphHost: 'https://graph.microsoft.com', loginHost: 'https://login.microsoftonline.com', label: 'Microsoft 365 worldwide' },
  gcc: { graphHost: 'https://graph.microsoft.com', loginHost: 'https://login.microsoftonline.com', label: 'Microsoft 365 GCC' },
  gccHigh: { graphHost: 'https://graph.microsoft.us', loginHost: 'https://login.microsoftonline.us', label: 'Microsoft 365 GCC High' },
  dod: { graphHost: 'https://dod-graph.microsoft.us', loginHost: 'https://login.microsoftonline.us', label: 'Microsoft 365 DoD' },
  china: { graphHost: 'https://microsoftgraph.chinacloudapi.cn', loginHost: 'https://login.partner.microsoftonline.cn', label: 'Microsoft 365 operated by 21Vianet (China)' },
  germany: { graphHost: 'https://graph.microsoft.de', loginHost: 'https://login.microsoftonline.de', label: 'Microsoft Cloud Deutschland' },
});

export type DeploymentMode = 'commercial' | 'government';

/** The clouds a deployment accepts tenants from. */
export function acceptedClouds(mode: DeploymentMode): readonly CloudName[] {
  return mode === 'government' ? ['worldwide', 'gcc', 'gccHigh'] : ['worldwide', 'gcc'];
}

/** Throws a clear, actionable error when the tenant's cloud is not served by this deployment. */
export function assertCloudAccepted(cloud: CloudName, mode: DeploymentMode): void {
  if (acceptedClouds(mode).includes(cloud)) return;
  const why: Record<CloudName, string> = {
    worldwide: '',
    gcc: '',
    gccHigh: 'GCC High tenants are served only by a deployment in government mode (connector.deploymentMode = "government").',
    dod: 'DoD tenants are not supported: their data must stay in the DoD cloud, which this service does not run in.',
    china: 'Tenants in the China cloud (21Vianet) are not supported: it is a separate cloud with its own app registrations.',
    germany: 'Microsoft Cloud Deutschland closed on 2021-10-29; move the tenant to the worldwide cloud.',
  };
  throw new GraphCloudRefusedError(`${CLOUD_ENDPOINTS[cloud].label} is refused by this deployment. ${why[cloud]}`, { details: { cloud, mode } });
}

/** Scope for app-only tokens in a cloud (`/.default` of that cloud's Graph host). */
export function defaultScope(cloud: CloudName): string {
  return `${CLOUD_ENDPOINTS[cloud].graphHost}/.default`;
}
