package dev.strata.ops.fleet;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.strata.protocol.FleetNode;
import dev.strata.protocol.FleetOutcome;
import dev.strata.protocol.FleetRuntimes;
import dev.strata.protocol.FleetWireCommand;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * The explicit serializer of everything that crosses the fleet: the admin actor's commands as
 * {@link FleetWireCommand} (actor references in Pekko's string form) and its answers as the protobuf
 * messages they are. Registered in {@link FleetConfig#pekko()}; Java serialization stays off.
 */
public final class FleetSerializer extends SerializerWithStringManifest {
    private static final int ID = 461_901; // unique among this system's serializers
    private final ActorRefResolver resolver;

    public FleetSerializer(ExtendedActorSystem system) {
        this.resolver = ActorRefResolver.get(Adapter.toTyped(system));
    }

    @Override
    public int identifier() {
        return ID;
    }

    @Override
    public String manifest(Object o) {
        if (o instanceof FleetAdmin.Command) {
            return "C";
        } else if (o instanceof FleetNode) {
            return "N";
        } else if (o instanceof FleetRuntimes) {
            return "R";
        } else if (o instanceof FleetOutcome) {
            return "O";
        }
        throw new IllegalArgumentException("the fleet serializer does not know " + o.getClass());
    }

    @Override
    public byte[] toBinary(Object o) {
        if (o instanceof FleetAdmin.Command c) {
            FleetWireCommand.Builder w = FleetWireCommand.newBuilder();
            if (c instanceof FleetAdmin.Describe d) {
                w.setKind(FleetWireCommand.Kind.DESCRIBE).setReplyTo(ref(d.replyTo()));
            } else if (c instanceof FleetAdmin.ListRuntimes l) {
                w.setKind(FleetWireCommand.Kind.LIST_RUNTIMES).setReplyTo(ref(l.replyTo()));
            } else if (c instanceof FleetAdmin.Unmount u) {
                w.setKind(FleetWireCommand.Kind.UNMOUNT).setReplyTo(ref(u.replyTo())).setRuntime(u.runtime());
            } else if (c instanceof FleetAdmin.Drain d) {
                w.setKind(FleetWireCommand.Kind.DRAIN).setReplyTo(ref(d.replyTo())).setDrain(d.drain());
            } else if (c instanceof FleetAdmin.Pull p) {
                w.setKind(FleetWireCommand.Kind.PULL).setReplyTo(ref(p.replyTo())).addAllRefs(p.refs());
            }
            return w.build().toByteArray();
        }
        if (o instanceof com.google.protobuf.Message m) {
            return m.toByteArray();
        }
        throw new IllegalArgumentException("the fleet serializer does not know " + o.getClass());
    }

    private String ref(ActorRef<?> ref) {
        return resolver.toSerializationFormat(ref);
    }

    private <T> ActorRef<T> resolve(String ref) {
        return resolver.resolveActorRef(ref);
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        try {
            switch (manifest) {
                case "C" -> {
                    FleetWireCommand w = FleetWireCommand.parseFrom(bytes);
                    return switch (w.getKind()) {
                        case DESCRIBE -> new FleetAdmin.Describe(resolve(w.getReplyTo()));
                        case LIST_RUNTIMES -> new FleetAdmin.ListRuntimes(resolve(w.getReplyTo()));
                        case UNMOUNT -> new FleetAdmin.Unmount(w.getRuntime(), resolve(w.getReplyTo()));
                        case DRAIN -> new FleetAdmin.Drain(w.getDrain(), resolve(w.getReplyTo()));
                        case PULL -> new FleetAdmin.Pull(java.util.List.copyOf(w.getRefsList()), resolve(w.getReplyTo()));
                        case UNRECOGNIZED -> throw new NotSerializableException("an unknown fleet command");
                    };
                }
                case "N" -> {
                    return FleetNode.parseFrom(bytes);
                }
                case "R" -> {
                    return FleetRuntimes.parseFrom(bytes);
                }
                case "O" -> {
                    return FleetOutcome.parseFrom(bytes);
                }
                default -> throw new NotSerializableException("unknown fleet manifest '" + manifest + "'");
            }
        } catch (InvalidProtocolBufferException e) {
            throw new NotSerializableException("a malformed fleet message: " + e.getMessage());
        }
    }
}
