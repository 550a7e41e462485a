// Package bufpool is a pool of byte slices in power-of-two size classes (512 B to 16 MiB),
// for buffers that live only while a connection has something in flight (pending output, a
// message being reassembled or inflated), so that an idle connection holds none.
//
// Two shapes of the same pools: Get/Put hand out slices, GetPtr/PutPtr hand out *[]byte for
// holders that keep a one-word field (a pointer is 8 bytes in a struct, a slice 24).
package bufpool
