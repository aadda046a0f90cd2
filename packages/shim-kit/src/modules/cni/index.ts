export { CniPodNetwork, DEFAULT_CNI_BIN_DIRS, DEFAULT_CNI_CONF_DIR, type CniPodNetworkOptions } from './cni-pod-network.js';
export { cniNetworkModule, type CniNetworkModuleOptions } from './cni-network-module.js';
export { CniError, isCniError, CNI_TRY_AGAIN_LATER, type CniErrorReason, type CniErrorDetails } from './cni-error.js';
export { loadNetworkList, parseNetworkList, CNI_CONFIG_EXTENSIONS, SUPPORTED_CNI_VERSIONS, type CniNetworkList, type CniPluginConfig } from './cni-config.js';
export { NETWORK_NOT_READY_REASON, type NetworkStatus } from './cni-status.js';
