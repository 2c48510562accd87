package dev.strata.ops.cli;

import dev.strata.protocol.CommitReply;
import dev.strata.protocol.CommitRequest;
import dev.strata.protocol.ProgressRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "commit", description = "Store the changes of the editable runtime this runs in as a new layer and print its digest.")
final class CommitCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Option(names = "--tag", paramLabel = "T", description = "Tag the new layer.")
    String tag;

    @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "Keep a message with the layer.")
    String message;

    @Override
    public void run() {
        CommitRequest request = CommitRequest.newBuilder().setPid(strata.callerPid())
                .setTag(tag == null ? "" : tag).setMessage(message == null ? "" : message).build();
        CommitReply reply;
        try (DaemonClient client = DaemonClient.connect(strata)) {
            reply = WorkProgress.await(strata, client, "commit", ProgressRequest.newBuilder().setPid(strata.callerPid()).build(),
                    c -> c.commit(request));
        }
        if (reply.getLayer().isEmpty()) {
            strata.err.println("strata: nothing to commit: the scratch holds no changes");
            return;
        }
        strata.err.printf("strata: committed %s (%s of new content)%s%n", Format.count(reply.getEntries(), "entry"), Format.bytes(reply.getBytes()),
                tag == null ? "" : " as " + tag);
        strata.out.println(reply.getLayer());
    }
}
