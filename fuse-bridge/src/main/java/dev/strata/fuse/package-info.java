/**
 * The kernel side: mounting, the FUSE protocol spoken on /dev/fuse, turning each request into a
 * message to the owning Mount actor and each reply into the kernel's answer. Knows nothing of
 * layers or repository formats.
 */
package dev.strata.fuse;
