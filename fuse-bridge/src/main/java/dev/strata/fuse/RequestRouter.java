package dev.strata.fuse;

import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import java.util.concurrent.CompletionStage;

/** Where the bridge sends decoded requests: in the daemon, the Router actor. */
public interface RequestRouter {
    CompletionStage<FsReply> dispatch(FsRequest request);

    /** The kernel dropped {@code count} references to {@code node} (FORGET; no reply). */
    void forget(long node, long count);
}
