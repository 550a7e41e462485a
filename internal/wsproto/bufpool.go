package wsproto

// Message buffers come from internal/bufpool's size classes, so that a connection holds one
// only while a message is in progress, and a burst of big messages does not pin big buffers
// for small ones.

// preallocLimit caps what a frame header alone can make us allocate: the declared length is
// the peer's word, the bytes that actually arrive are not.
const preallocLimit = 64 << 10
