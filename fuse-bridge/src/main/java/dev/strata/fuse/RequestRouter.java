package dev.strata.fuse;

import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import java.util.function.Consumer;

/** Where the bridge sends decoded requests: in the daemon, the Router actor. */
public interface RequestRouter {
    /** Sends the request on; {@code reply} is called exactly once, on any thread. */
    void dispatch(FsRequest request, Consumer<FsReply> reply);

    /** The kernel dropped {@code count} references to {@code node} (FORGET; no reply). */
    void forget(long node, long count);
}
