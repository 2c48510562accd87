package dev.strata.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PermissionsTest {
    private static final int R = Permissions.READ;
    private static final int W = Permissions.WRITE;
    private static final int X = Permissions.EXECUTE;

    private record Who(int uid, int gid, Set<Integer> groups) implements Permissions.Credentials {
        @Override
        public boolean inSupplementaryGroup(int gid) {
            return groups.contains(gid);
        }
    }

    private static Attributes object(int mode, int uid, int gid) {
        return new Attributes(2, mode, 1, uid, gid, 0, 0, 0, 0, 0, 0);
    }

    static Stream<Arguments> rules() {
        Who owner = new Who(1000, 1000, Set.of());
        Who member = new Who(2000, 2000, Set.of(50));
        Who stranger = new Who(3000, 3000, Set.of());
        Who root = new Who(0, 0, Set.of());
        return Stream.of(
                Arguments.of("owner reads 0600", object(0100600, 1000, 50), owner, R, true),
                Arguments.of("stranger cannot read 0600", object(0100600, 1000, 50), stranger, R, false),
                Arguments.of("supplementary group reads 0640", object(0100640, 1000, 50), member, R, true),
                Arguments.of("non-member cannot read 0640", object(0100640, 1000, 50), stranger, R, false),
                Arguments.of("the owner class wins even when it grants less", object(0100077, 1000, 50), owner, R, false),
                Arguments.of("a group member gets the group class, not other", object(0100607, 1000, 50), member, R, false),
                Arguments.of("others read 0644", object(0100644, 1000, 50), stranger, R, true),
                Arguments.of("search needs x on a directory", object(040700, 1000, 50), stranger, X, false),
                Arguments.of("read and execute together", object(0100755, 1000, 50), stranger, R | X, true),
                Arguments.of("root reads anything", object(0100000, 1000, 50), root, R | W, true),
                Arguments.of("root searches any directory", object(040000, 1000, 50), root, X, true),
                Arguments.of("root cannot execute a file without x bits", object(0100644, 1000, 50), root, X, false),
                Arguments.of("root executes a file with any x bit", object(0100744, 1000, 50), root, X, true),
                Arguments.of("F_OK is always allowed", object(0100000, 1000, 50), stranger, 0, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void permissionsFollowPosix(String rule, Attributes object, Who who, int mask, boolean allowed) {
        assertEquals(allowed, Permissions.allows(object, who, mask), rule);
    }
}
