package dev.strata.ops.cli;

import dev.strata.protocol.CommitReply;
import dev.strata.protocol.CommitRequest;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
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
        try (DaemonClient client = DaemonClient.connect(strata); ProgressBar bar = activity()) {
            // the daemon hashes the scratch's files; the bar shows that it is at work
            reply = client.call(c -> c.commit(request), Duration.ofMinutes(30));
        }
        if (reply.getLayer().isEmpty()) {
            strata.err.println("strata: nothing to commit: the scratch holds no changes");
            return;
        }
        strata.err.printf("strata: committed %s (%s of new content)%s%n", Format.count(reply.getEntries(), "entry"), Format.bytes(reply.getBytes()),
                tag == null ? "" : " as " + tag);
        strata.out.println(reply.getLayer());
    }

    private ProgressBar activity() {
        if (!strata.interactive()) {
            return null;
        }
        return new ProgressBarBuilder().setTaskName("commit").setInitialMax(-1).setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(strata.err)).build();
    }
}
