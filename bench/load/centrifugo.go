package load

import (
	"bytes"
	"strconv"
)

// Centrifugo's JSON client protocol (v6), for the pubsub scenario against Centrifugo: commands
// and replies are JSON objects, several per frame separated by newlines. A connection sends
// connect (and, for a subscriber, subscribe to its channel "t<k>") as it opens; a publisher
// sends publish commands; a subscriber gets publications as pushes:
//
//	→ {"id":1,"connect":{}}
//	→ {"id":2,"subscribe":{"channel":"t3"}}
//	← {"push":{"channel":"t3","pub":{"data":{"q":17,"t":123456,"p":"xx…"}}}}
//
// The data carries the message's sequence number (q) and publish time (t), padded (p) to
// about the scenario's message size.

// centrifugoOpen appends c's opening commands.
func centrifugoOpen(dst []byte, c *Conn) []byte {
	dst = append(dst, `{"id":1,"connect":{}}`...)
	if !c.pub {
		dst = append(dst, "\n"+`{"id":2,"subscribe":{"channel":"t`...)
		dst = strconv.AppendInt(dst, int64(c.topic), 10)
		dst = append(dst, `"}}`...)
	}
	return dst
}

// centrifugoPublish appends the publish command of message seq, sent at at, on channel
// t<topic>, with about size bytes of data.
func centrifugoPublish(dst []byte, seq uint64, at int64, topic, size int) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendUint(dst, seq+10, 10) // ids 1 and 2 are connect and subscribe
	dst = append(dst, `,"publish":{"channel":"t`...)
	dst = strconv.AppendInt(dst, int64(topic), 10)
	dst = append(dst, `","data":{"q":`...)
	start := len(dst)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"t":`...)
	dst = strconv.AppendInt(dst, at, 10)
	dst = append(dst, `,"p":"`...)
	for n := len(dst) - start + 12; n < size; n++ {
		dst = append(dst, 'x')
	}
	return append(dst, `"}}}`...)
}

// centrifugoPush reads a publication push line: its sequence number and publish time.
func centrifugoPush(line []byte) (seq uint64, at int64, ok bool) {
	if !bytes.HasPrefix(line, []byte(`{"push":`)) {
		return 0, 0, false
	}
	q := bytes.Index(line, []byte(`"q":`))
	t := bytes.Index(line, []byte(`"t":`))
	if q < 0 || t < 0 {
		return 0, 0, false
	}
	s, ok1 := readUint(line[q+4:])
	a, ok2 := readUint(line[t+4:])
	return s, int64(a), ok1 && ok2
}

func readUint(b []byte) (uint64, bool) {
	var v uint64
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		v = v*10 + uint64(b[n]-'0')
		n++
	}
	return v, n > 0
}
