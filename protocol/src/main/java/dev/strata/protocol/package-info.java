/**
 * The control plane contract: .proto definitions and the Pekko gRPC stubs generated from them.
 */
package dev.strata.protocol;
