/** Settings of one shim, registered under `Tokens.ShimConfig`. */
export interface ShimConfig {
  /** Unix socket the CRI server listens on. */
  socket: string;
  /** Persistent directory (metadata, images). */
  root: string;
  /** Volatile directory (runtime state, exit files). */
  state: string;
  /** Reported by Version. */
  runtimeName: string;
  runtimeVersion: string;
  /**
   * Never ask for an oom_score_adj below the shim's own (containerd's restrict_oom_score_adj).
   * Default: true unless the shim has CAP_SYS_RESOURCE.
   */
  restrictOomScoreAdj: boolean;
  /** The shim's own oom_score_adj (the floor when restricted). */
  ownOomScoreAdj: number;
  /** Output kept per stream by ExecSync. */
  execSyncMaxOutputBytes: number;
  /** Responses per message of the Stream* RPCs. */
  streamChunkSize: number;
}
