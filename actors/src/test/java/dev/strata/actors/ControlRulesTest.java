package dev.strata.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.actors.process.ProcessIdentity;
import dev.strata.actors.process.ProcessTable;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ControlRulesTest {
    private static final Caller ROOT = new Caller(0, 0, new int[0], 10);
    private static final Caller ALICE = new Caller(1000, 1000, new int[] {27}, 11);
    private static final long DAEMON = 99;

    static Stream<Arguments> views() {
        return Stream.of(
                Arguments.of("root gives any ordinary process a view", ROOT, 500, 1, 2000, 2000, null),
                Arguments.of("a user gives its own process a view", ALICE, 500, 1, 1000, 1000, null),
                Arguments.of("not another user's process", ALICE, 500, 1, 0, 0, RuntimeRefused.Reason.DENIED),
                Arguments.of("not a setuid process (effective uid differs)", ALICE, 500, 1, 1000, 0, RuntimeRefused.Reason.DENIED),
                Arguments.of("not init, even for root", ROOT, 1, 0, 0, 0, RuntimeRefused.Reason.DENIED),
                Arguments.of("not the daemon, even for root", ROOT, (int) DAEMON, 1, 0, 0, RuntimeRefused.Reason.DENIED),
                Arguments.of("not a kernel thread", ROOT, 300, 2, 0, 0, RuntimeRefused.Reason.DENIED),
                Arguments.of("not a pid that is not positive", ROOT, -4, 1, 0, 0, RuntimeRefused.Reason.INVALID));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("views")
    void aViewIsGivenOnlyToOrdinaryProcessesOfTheCaller(String rule, Caller caller, int pid, int parent, int real, int effective,
                                                        RuntimeRefused.Reason refusal) {
        Optional<ProcessTable.ProcessInfo> info = Optional.of(new ProcessTable.ProcessInfo(new ProcessIdentity(pid, 1), parent));
        Optional<ProcessTable.Uids> uids = Optional.of(new ProcessTable.Uids(real, effective));
        if (refusal == null) {
            ControlRules.checkMayGiveView(caller, pid, info, uids, DAEMON);
        } else {
            assertEquals(refusal, assertThrows(RuntimeRefused.class, () -> ControlRules.checkMayGiveView(caller, pid, info, uids, DAEMON)).reason());
        }
    }

    @ParameterizedTest(name = "uid {0} on an object of uid {1}: {2}")
    @MethodSource("owners")
    void ownersAndRootActOnObjects(int uid, int owner, boolean allowed) {
        assertEquals(allowed, ControlRules.mayActOn(new Caller(uid, uid, new int[0], 1), owner));
    }

    static Stream<Arguments> owners() {
        return Stream.of(Arguments.of(1000, 1000, true), Arguments.of(1000, 0, false), Arguments.of(0, 1000, true), Arguments.of(65534, 1000, false));
    }

    @org.junit.jupiter.api.Test
    void errorsQuoteOnlyAShortPrintablePrefix() {
        String quoted = ControlRules.quote("a\0b" + "x".repeat(10_000));
        assertTrue(quoted.length() < 80, quoted);
        assertTrue(quoted.startsWith("a\\x00b"), quoted);
        RuntimeRefused r = assertThrows(RuntimeRefused.class, () -> ControlRules.checkName("runtime", "../etc"));
        assertEquals(RuntimeRefused.Reason.INVALID, r.reason());
        assertThrows(RuntimeRefused.class, () -> ControlRules.checkShutdown(ALICE));
        ControlRules.checkShutdown(ROOT);
    }
}
