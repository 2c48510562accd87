package dev.strata.persistence;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ref[+ref...]}, bottom-up. A ref is a tag, {@code tag~N} (N steps back in the tag's history),
 * or a digest or unique digest prefix of at least 8 hex digits.
 */
public record EnvSpec(List<Ref> refs) {
    public static final int MIN_PREFIX = 8;
    private static final Pattern BACK = Pattern.compile("(.+)~([0-9]{1,9})");

    /** One ref of a spec, as written. */
    public record Ref(String text, String name, int back) {
        /** Could this be a digest or digest prefix (when no tag of that name exists)? */
        public boolean mayBeDigest() {
            return back == 0 && name.length() >= MIN_PREFIX && name.length() <= Digest.HEX_LENGTH && Digest.isHex(name);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    public EnvSpec {
        refs = List.copyOf(refs);
    }

    public static EnvSpec parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new MalformedSpecException("an env spec names at least one ref, got '" + (spec == null ? "" : spec) + "'");
        }
        List<Ref> refs = new ArrayList<>();
        for (String text : spec.trim().split("\\+", -1)) {
            refs.add(parseRef(spec, text));
        }
        return new EnvSpec(refs);
    }

    private static Ref parseRef(String spec, String text) {
        if (text.isEmpty()) {
            throw new MalformedSpecException("empty ref in env spec '" + spec + "' (refs are joined by single '+')");
        }
        String name = text;
        int back = 0;
        Matcher m = BACK.matcher(text);
        if (m.matches()) {
            name = m.group(1);
            back = Integer.parseInt(m.group(2));
        } else if (text.contains("~")) {
            throw new MalformedSpecException("malformed ref '" + text + "' in env spec '" + spec + "': use NAME~N with N a number");
        }
        if (!TagStore.isValidName(name)) {
            throw new MalformedSpecException("malformed ref '" + text.replace("\0", "\\0") + "' in env spec '"
                    + spec.replace("\0", "\\0") + "': not a tag name or a digest");
        }
        return new Ref(text, name, back);
    }

    @Override
    public String toString() {
        return String.join("+", refs.stream().map(Ref::text).toList());
    }
}
