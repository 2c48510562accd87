package dev.strata.ops.cli;

import com.google.gson.GsonBuilder;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;

/**
 * {@code --json} output, for scripts: a daemon reply is printed in the proto3 JSON mapping of its
 * message in {@code strata_control.proto} (every field present, names in lowerCamelCase); a
 * repository listing as the small documented objects of the README.
 */
final class Json {
    private Json() {
    }

    static void print(StrataCommand strata, MessageOrBuilder message) {
        try {
            strata.out.println(JsonFormat.printer().includingDefaultValueFields().print(message));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
        }
    }

    static void print(StrataCommand strata, Object value) {
        strata.out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(value));
    }
}
