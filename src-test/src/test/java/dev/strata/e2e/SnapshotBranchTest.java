package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.protocol.CreateBranchRequest;
import dev.strata.protocol.CreateSnapshotRequest;
import dev.strata.protocol.DeleteSnapshotRequest;
import dev.strata.protocol.ListBranchesRequest;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.UnbindBranchRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Snapshots and branches through a real daemon and mount, driven by the CLI and the gRPC client. */
class SnapshotBranchTest {
    static DaemonFixture daemon;
    static Path mnt;
    static dev.strata.ops.control.ControlClient client;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonFixture();
        mnt = daemon.mountpoint;
        daemon.layer("base", "etc/config", "base config\n", "data/keep", "kept\n");
        client = daemon.client();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    private static <T> T call(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static Status.Code failureOf(CompletionStage<?> stage) throws Exception {
        try {
            stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                return s.getStatus().getCode();
            }
            throw e;
        }
        return Status.Code.OK;
    }

    private static void awaitFile(Path file, Process owner) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(file)) {
            if (!owner.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("no " + file + "; " + daemon.log());
            }
            Thread.sleep(50);
        }
    }

    /** Starts an editable runtime that writes {@code before}, waits for {@code go}, then writes {@code after}. */
    private static Process source(String name, String before, String after, Path ready, Path go) throws Exception {
        return daemon.strata.startWithOutput(daemon.work.resolve(name + ".out"), "run", "--edit", "--name", name, "base", "--", "sh", "-c",
                "cd " + mnt + " && " + before + " && touch " + ready + " && while [ ! -e " + go + " ]; do sleep 0.1; done && " + after);
    }

    @Test
    void aSnapshotStaysAsItWasAndItsBranchesDivergeApart() throws Exception {
        Path ready = daemon.work.resolve("src-ready");
        Path go = daemon.work.resolve("src-go");
        Process src = source("src", "echo v1 > etc/config && mkdir work && echo one > work/a && rm data/keep", "echo v2 > etc/config"
                + " && echo two > work/b && rm -r work/a && echo later > new", ready, go);
        awaitFile(ready, src);
        String snapshot = daemon.strata.ok("snapshot", "create", "src", "--name", "s1").out().trim();
        assertEquals("s1", snapshot);
        Files.createFile(go);
        assertEquals(0, DaemonFixture.await(src), Files.readString(daemon.work.resolve("src.out")));

        daemon.strata.ok("branch", "create", "s1", "--name", "b1");
        daemon.strata.ok("branch", "create", "s1", "--name", "b2");
        String view = "cd " + mnt + " && cat etc/config && ls -A && ls work";
        assertEquals("v1\ndata\netc\nwork\na\n", daemon.strata.ok("branch", "exec", "b1", "--", "sh", "-c", view).out(),
                "the branch sees the snapshot, not what its source did after it");
        daemon.strata.ok("branch", "exec", "b1", "--", "sh", "-c", "cd " + mnt + " && echo b1 > etc/config && echo x > only-b1");
        daemon.strata.ok("branch", "exec", "b2", "--", "sh", "-c", "cd " + mnt + " && rm -r work && echo y > only-b2");
        assertEquals("b1\ndata\netc\nonly-b1\nwork\na\n", daemon.strata.ok("branch", "exec", "b1", "--", "sh", "-c", view).out());
        assertEquals("v1\ndata\netc\nonly-b2\n", daemon.strata.ok("branch", "exec", "b2", "--", "sh", "-c",
                "cd " + mnt + " && cat etc/config && ls -A").out());
        assertEquals("~ /etc/config\n+ /only-b1\n", daemon.strata.ok("branch", "diff", "b1").out());
        assertEquals("+ /only-b2\n- /work\n", daemon.strata.ok("branch", "diff", "b2").out());

        StrataProcess.Outcome refused = daemon.strata.run("snapshot", "delete", "s1");
        assertNotEquals(0, refused.exit());
        assertTrue(refused.err().contains("base of branches b1, b2"), refused.err());
        assertEquals(Status.Code.FAILED_PRECONDITION, failureOf(client.deleteSnapshot(DeleteSnapshotRequest.newBuilder().setName("s1").build())));

        String layer = daemon.strata.ok("branch", "commit", "b1", "--tag", "from-b1").out().trim();
        assertTrue(layer.matches("[0-9a-f]{64}"), layer);
        assertEquals("b1\n", daemon.strata.ok("run", "from-b1", "--", "cat", mnt + "/etc/config").out());
        assertEquals("", daemon.strata.ok("branch", "diff", "b1").out(), "a committed branch starts an empty scratch");

        daemon.strata.ok("branch", "delete", "b1");
        daemon.strata.ok("branch", "delete", "b2");
        daemon.strata.ok("snapshot", "delete", "s1");
        String snapshots = daemon.strata.ok("snapshot", "list").out();
        assertTrue(!snapshots.contains("s1 "), snapshots);
        assertEquals(Status.Code.NOT_FOUND, failureOf(client.createBranch(CreateBranchRequest.newBuilder().setSnapshot("s1").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, failureOf(client.createSnapshot(CreateSnapshotRequest.newBuilder()
                .setRuntime("../etc").build())));
        assertEquals(Status.Code.NOT_FOUND, failureOf(client.createSnapshot(CreateSnapshotRequest.newBuilder().setRuntime("nosuch").build())));
    }

    @Test
    void twentyBranchesBoundToTwentyTreesSeeOnlyTheirOwnChanges() throws Exception {
        Path ready = daemon.work.resolve("many-ready");
        Path go = daemon.work.resolve("many-go");
        Process src = source("many", "echo shared-base > shared", "true", ready, go);
        awaitFile(ready, src);
        call(client.createSnapshot(CreateSnapshotRequest.newBuilder().setRuntime("many").setName("s20").build()));
        Files.createFile(go);
        assertEquals(0, DaemonFixture.await(src));

        int n = 20;
        Path start = daemon.work.resolve("trees-go");
        List<Process> trees = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                call(client.createBranch(CreateBranchRequest.newBuilder().setSnapshot("s20").setName("agent-" + i).build()));
                // an ordinary process tree, started outside Strata, bound while it runs; its children do the work
                Path out = daemon.work.resolve("agent-" + i + ".out");
                trees.add(new ProcessBuilder("sh", "-c", "while [ ! -e " + start + " ]; do sleep 0.05; done; sh -c '"
                        + "cd " + mnt + " && cat shared && echo agent-" + i + " > shared && mkdir -p own-" + i + " && sleep 1"
                        + " && cat shared && ls'").redirectErrorStream(true).redirectOutput(out.toFile()).start());
            }
            for (int i = 0; i < n; i++) {
                call(client.mount(MountRequest.newBuilder().setRootPid((int) trees.get(i).pid()).setName("agent-" + i).setJoin(true).build()));
            }
            Files.createFile(start);
            for (int i = 0; i < n; i++) {
                assertEquals(0, DaemonFixture.await(trees.get(i)), Files.readString(daemon.work.resolve("agent-" + i + ".out")));
                assertEquals("shared-base\nagent-" + i + "\ndata\netc\nown-" + i + "\nshared\n",
                        Files.readString(daemon.work.resolve("agent-" + i + ".out")), "agent " + i);
            }
            assertEquals(n, call(client.listBranches(ListBranchesRequest.getDefaultInstance())).getBranchesCount());
        } finally {
            trees.forEach(Process::destroyForcibly);
        }
        // a bound tree leaves its branch with unbind and sees the empty view again
        Process tree = new ProcessBuilder("sh", "-c", "sleep 600").start();
        try {
            call(client.mount(MountRequest.newBuilder().setRootPid((int) tree.pid()).setName("agent-0").setJoin(true).build()));
            call(client.unbindBranch(UnbindBranchRequest.newBuilder().setPid((int) tree.pid()).build()));
            assertEquals(Status.Code.NOT_FOUND, failureOf(client.unbindBranch(UnbindBranchRequest.newBuilder().setPid((int) tree.pid()).build())));
        } finally {
            tree.destroyForcibly();
        }
        assertEquals("agent-7\n", daemon.strata.ok("branch", "exec", "agent-7", "--", "cat", mnt + "/shared").out(),
                "a branch keeps its changes when its trees are gone");
    }
}
