package dev.strata.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.actors.fs.Caller;
import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Errno;
import dev.strata.engine.LayerMerge;
import dev.strata.engine.NodeTable;
import dev.strata.engine.View;
import dev.strata.persistence.Importer;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RuntimeRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An editable runtime's actors: a restarted Mount keeps its scratch, joined trees share it, its end removes it. */
class EditableMountTest {
    static final ActorTestKit testKit = ActorTestKit.create();

    @TempDir
    Path tmp;
    FakeProcessTable processes;
    ActorRef<Router.Command> router;
    ActorRef<Runtimes.Command> runtimes;
    static final dev.strata.actors.Caller ROOT = new dev.strata.actors.Caller(0, 0, new int[0], 1);
    Repository repo;
    RuntimeRecord record;

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
    }

    @BeforeEach
    void start() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src/etc"));
        Files.writeString(src.resolve("hosts"), "localhost\n");
        repo = Repository.open(tmp.resolve("repo"));
        Importer.Result base = new Importer(repo).importDirectory(tmp.resolve("src"), "base", Map.of(), new Importer.Listener() { });
        record = new RuntimeRecord("e", "base", List.of(base.layer()), true, false, 0);
        record.write(tmp.resolve("runtimes/e"));
        processes = new FakeProcessTable();
        View empty = new View(LayerMerge.merge(List.of()), null);
        NodeTable nodes = new NodeTable();
        RouteCache routes = new RouteCache();
        router = testKit.spawn(Router.create(testKit.spawn(AncestryResolver.create(processes)), processes, nodes,
                () -> empty, routes));
        runtimes = testKit.spawn(Runtimes.create(router, routes, testKit.<Snapshots.Command>createTestProbe().getRef(), repo,
                new dev.strata.persistence.RuntimeStore(tmp.resolve("other-runtimes"), tmp.resolve("snapshots")), processes, nodes));
    }

    private void add(int pid, boolean join) throws Exception {
        TestProbe<StatusReply<RuntimeInfo>> probe = testKit.createTestProbe();
        Scratch.Setup setup = new Scratch.Setup(tmp.resolve("runtimes/e"), repo, "e@test");
        setup.claim();
        runtimes.tell(new Runtimes.Add("e", pid, "base", List.of(), null, setup, false, join, Runtimes.OwnerGuard.root(), probe.getRef()::tell));
        StatusReply<RuntimeInfo> reply = probe.receiveMessage(Duration.ofSeconds(10));
        assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    }

    private FsReply ask(FsRequest request) {
        TestProbe<FsReply> probe = testKit.createTestProbe();
        router.tell(new Router.Forward(request, probe.getRef()::tell));
        return probe.receiveMessage(Duration.ofSeconds(5));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRestartedMountComesBackWithItsScratch() throws Exception {
        processes.start(100, 1, 1);
        add(100, false);
        Caller root = new Caller(100, 0, 0);
        assertInstanceOf(FsReply.Entry.class, ask(new FsRequest.MakeDirectory(root, FsRequest.ROOT, b("made"), 0755)));
        assertInstanceOf(FsReply.Ok.class, ask(new FsRequest.Unlink(root, lookupEtc(root), b("hosts"))));
        TestProbe<Optional<ActorRef<Mount.Command>>> mount = testKit.createTestProbe();
        runtimes.tell(new Runtimes.MountOf("e", mount.getRef()));
        mount.receiveMessage().orElseThrow().tell(new Mount.InjectFailure("test"));
        assertInstanceOf(FsReply.Entry.class, ask(new FsRequest.Lookup(root, FsRequest.ROOT, b("made"))));
        FsReply gone = ask(new FsRequest.Lookup(root, lookupEtc(root), b("hosts")));
        assertEquals(Errno.ENOENT, assertInstanceOf(FsReply.Error.class, gone).errno());
    }

    private long lookupEtc(Caller who) {
        return assertInstanceOf(FsReply.Entry.class, ask(new FsRequest.Lookup(who, FsRequest.ROOT, b("etc")))).node();
    }

    @Test
    void joinedTreesShareTheScratchAndItsEndRemovesIt() throws Exception {
        processes.start(100, 1, 1).start(200, 2, 1);
        add(100, false);
        add(200, true);
        assertInstanceOf(FsReply.Entry.class, ask(new FsRequest.MakeDirectory(new Caller(100, 0, 0), FsRequest.ROOT, b("shared"), 0755)));
        assertInstanceOf(FsReply.Entry.class, ask(new FsRequest.Lookup(new Caller(200, 0, 0), FsRequest.ROOT, b("shared"))));
        processes.end(100);
        TestProbe<List<RuntimeInfo>> list = testKit.createTestProbe();
        list.awaitAssert(Duration.ofSeconds(3), () -> {
            // the first tree ended; the runtime lives on for the second
            assertInstanceOf(FsReply.Entry.class, ask(new FsRequest.Lookup(new Caller(200, 0, 0), FsRequest.ROOT, b("shared"))));
            return null;
        });
        processes.end(200);
        list.awaitAssert(Duration.ofSeconds(3), () -> {
            runtimes.tell(new Runtimes.ListRunning(ROOT, false, list.getRef()));
            assertEquals(List.of(), list.receiveMessage());
            assertFalse(Files.exists(tmp.resolve("runtimes/e")), "a runtime that is not durable leaves nothing behind");
            return null;
        });
    }

    @Test
    void aReadOnlyRuntimeRefusesChangesWithErofs() {
        processes.start(300, 1, 1);
        TestProbe<StatusReply<RuntimeInfo>> probe = testKit.createTestProbe();
        runtimes.tell(new Runtimes.Add("ro", 300, "base", List.of(), () -> new View(LayerMerge.merge(List.of()), null), null, false, false,
                Runtimes.OwnerGuard.root(), probe.getRef()::tell));
        assertTrue(probe.receiveMessage(Duration.ofSeconds(5)).isSuccess());
        FsReply refused = ask(new FsRequest.MakeDirectory(new Caller(300, 0, 0), FsRequest.ROOT, b("x"), 0755));
        assertEquals(Errno.EROFS, assertInstanceOf(FsReply.Error.class, refused).errno());
    }
}
