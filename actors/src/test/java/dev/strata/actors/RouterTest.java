package dev.strata.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.actors.fs.Caller;
import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Errno;
import dev.strata.engine.LayerMerge;
import dev.strata.engine.NodeTable;
import dev.strata.engine.View;
import dev.strata.persistence.Digest;
import dev.strata.persistence.Entry;
import dev.strata.persistence.TreeBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RouterTest {
    static final ActorTestKit testKit = ActorTestKit.create();

    FakeProcessTable processes;
    ActorRef<Router.Command> router;
    ActorRef<Runtimes.Command> runtimes;
    static final dev.strata.actors.Caller ROOT = new dev.strata.actors.Caller(0, 0, new int[0], 1);
    AtomicInteger loadsOfA;
    /** The runtimes' records, removed after each test. */
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
    }

    private static View viewWith(String file) {
        byte[] content = file.getBytes(StandardCharsets.UTF_8);
        return new View(TreeBuilder.withDefaultRoot().put(file, Entry.file(0644, 0, 0, 0, content.length, Digest.sha256(content))).build(), null);
    }

    @BeforeEach
    void startRouter() {
        processes = new FakeProcessTable();
        NodeTable nodes = new NodeTable();
        View empty = new View(LayerMerge.merge(List.of()), null);
        var resolver = testKit.spawn(AncestryResolver.create(processes));
        RouteCache routes = new RouteCache();
        router = testKit.spawn(Router.create(resolver, processes, nodes, () -> empty, routes));
        runtimes = testKit.spawn(Runtimes.create(router, routes, testKit.<Snapshots.Command>createTestProbe().getRef(), null,
                new dev.strata.persistence.RuntimeStore(dir.resolve("runtimes"), dir.resolve("snapshots")), processes, nodes));
        loadsOfA = new AtomicInteger();
    }

    private void addRuntime(String name, int rootPid, String file) {
        TestProbe<StatusReply<RuntimeInfo>> probe = testKit.createTestProbe();
        Mount.ViewSource source = () -> {
            if (name.equals("a")) {
                loadsOfA.incrementAndGet();
            }
            return viewWith(file);
        };
        runtimes.tell(add(name, rootPid, source, probe));
        StatusReply<RuntimeInfo> reply = probe.receiveMessage(Duration.ofSeconds(5));
        assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    }

    private static Runtimes.Add add(String name, int rootPid, Mount.ViewSource source, TestProbe<StatusReply<RuntimeInfo>> probe) {
        return new Runtimes.Add(name, rootPid, "spec-" + name, List.of(), source, null, false, false, Runtimes.OwnerGuard.root(),
                probe.getRef()::tell);
    }

    /** What thread {@code tid} gets when it looks up {@code name} in the root of its view. */
    private FsReply lookup(int tid, String name) {
        TestProbe<FsReply> probe = testKit.createTestProbe();
        router.tell(new Router.Forward(new FsRequest.Lookup(new Caller(tid, 0, 0), FsRequest.ROOT,
                name.getBytes(StandardCharsets.UTF_8)), probe.getRef()::tell));
        return probe.receiveMessage(Duration.ofSeconds(5));
    }

    private static boolean sees(FsReply reply) {
        return reply instanceof FsReply.Entry;
    }

    @Test
    void descendantsSeeTheirRuntimeAndOthersTheEmptyView() {
        processes.start(100, 1, 1).start(200, 2, 100).start(300, 3, 200).start(400, 4, 1);
        addRuntime("a", 100, "in-a");
        assertTrue(sees(lookup(100, "in-a")));
        assertTrue(sees(lookup(300, "in-a")), "a grandchild inherits the view");
        FsReply outside = lookup(400, "in-a");
        assertEquals(Errno.ENOENT, assertInstanceOf(FsReply.Error.class, outside).errno());
    }

    @Test
    void theAncestryWalkStopsAtTheNearestRoutedProcessAndANestedRuntimesEndFallsBackToTheOuter() {
        processes.start(100, 1, 1).start(200, 2, 100).start(300, 3, 200).start(400, 4, 300);
        addRuntime("outer", 100, "in-outer");
        addRuntime("inner", 200, "in-inner");
        int before = processes.reads.get();
        assertTrue(sees(lookup(400, "in-inner")));
        assertEquals(3, processes.reads.get() - before, "400, 300 and the root 200: not 100 nor init");
        TestProbe<StatusReply<RuntimeInfo>> ended = testKit.createTestProbe();
        runtimes.tell(new Runtimes.End(ROOT, "inner", ended.getRef()));
        assertTrue(ended.receiveMessage(Duration.ofSeconds(5)).isSuccess());
        assertTrue(sees(lookup(400, "in-outer")), "with the inner runtime gone, its processes see the outer one");
    }

    @Test
    void aReusedPidNeverInheritsADeadRuntime() {
        processes.start(100, 1, 1);
        addRuntime("a", 100, "in-a");
        // the root dies and the kernel hands its pid to an unrelated process before the router notices
        processes.end(100).start(100, 99, 1).start(500, 100, 100);
        assertEquals(Errno.ENOENT, assertInstanceOf(FsReply.Error.class, lookup(500, "in-a")).errno());
        assertEquals(Errno.ENOENT, assertInstanceOf(FsReply.Error.class, lookup(100, "in-a")).errno());
    }

    @Test
    void anOrphanKeepsTheViewItWasResolvedTo() throws InterruptedException {
        processes.start(100, 1, 1).start(200, 2, 100).start(300, 3, 200);
        addRuntime("a", 100, "in-a");
        assertTrue(sees(lookup(300, "in-a")));
        // 300 double-forked away: its parent exits and init adopts it
        processes.end(200).start(300, 3, 1);
        Thread.sleep(RouteCache.TTL_NANOS / 1_000_000 + 50);
        assertTrue(sees(lookup(300, "in-a")), "the orphan keeps its runtime");
    }

    @Test
    void aRuntimeEndsSoonAfterItsRootExits() {
        processes.start(100, 1, 1);
        addRuntime("a", 100, "in-a");
        processes.end(100);
        TestProbe<List<RuntimeInfo>> probe = testKit.createTestProbe();
        probe.awaitAssert(Duration.ofSeconds(1), () -> {
            runtimes.tell(new Runtimes.ListRunning(ROOT, false, probe.getRef()));
            assertEquals(List.of(), probe.receiveMessage());
            return null;
        });
    }

    @Test
    void aFailingMountIsRestartedAndOtherRuntimesNeverNotice() {
        processes.start(100, 1, 1).start(101, 1, 1);
        addRuntime("a", 100, "in-a");
        addRuntime("b", 101, "in-b");
        TestProbe<Optional<ActorRef<Mount.Command>>> probe = testKit.createTestProbe();
        runtimes.tell(new Runtimes.MountOf("a", probe.getRef()));
        ActorRef<Mount.Command> mountA = probe.receiveMessage().orElseThrow();
        for (int i = 0; i < 3; i++) {
            mountA.tell(new Mount.InjectFailure("test " + i));
            assertTrue(sees(lookup(101, "in-b")), "runtime b keeps serving");
        }
        assertTrue(sees(lookup(100, "in-a")), "runtime a serves again after its restarts");
        assertEquals(4, loadsOfA.get(), "each restart reloaded the view");
    }

    @Test
    void aNameCanBeUsedAgainAtOnceAndTheOldMountsEndLeavesTheNewRuntimeAlone() throws InterruptedException {
        processes.start(100, 1, 1).start(101, 1, 1);
        for (int i = 0; i < 5; i++) {
            addRuntime("again", i % 2 == 0 ? 100 : 101, "round-" + i);
            TestProbe<StatusReply<RuntimeInfo>> removed = testKit.createTestProbe();
            runtimes.tell(new Runtimes.End(ROOT, "again", removed.getRef()));
            assertTrue(removed.receiveMessage(Duration.ofSeconds(5)).isSuccess());
        }
        addRuntime("again", 100, "last");
        Thread.sleep(300); // the stopped Mounts' terminations arrive meanwhile
        assertTrue(sees(lookup(100, "last")), "the last runtime of that name still serves");
    }

    @Test
    void aSecondRuntimeForTheSameRootIsRefused() {
        processes.start(100, 1, 1);
        addRuntime("a", 100, "in-a");
        TestProbe<StatusReply<RuntimeInfo>> probe = testKit.createTestProbe();
        runtimes.tell(add("other", 100, () -> viewWith("x"), probe));
        RuntimeRefused refused = assertInstanceOf(RuntimeRefused.class, probe.receiveMessage().getError());
        assertEquals(RuntimeRefused.Reason.ALREADY_EXISTS, refused.reason());
        runtimes.tell(add("ghost", 4242, () -> viewWith("x"), probe));
        refused = assertInstanceOf(RuntimeRefused.class, probe.receiveMessage().getError());
        assertEquals(RuntimeRefused.Reason.INVALID, refused.reason());
        assertTrue(refused.getMessage().contains("no process with pid 4242"), refused.getMessage());
    }
}
