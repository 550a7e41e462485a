package bufpool

import "testing"

func TestGetCapacity(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 4096, 5000, 1 << 20, 1<<24 + 1} {
		b := Get(n)
		if len(b) != 0 || cap(b) < n {
			t.Fatalf("Get(%d): len %d cap %d", n, len(b), cap(b))
		}
		Put(b)
	}
}

func TestPutOddCapacityKeepsPromise(t *testing.T) {
	Put(make([]byte, 0, 1000)) // between classes: must land in the 512 class
	for range 10 {
		if b := Get(1000); cap(b) < 1000 {
			t.Fatalf("cap %d < 1000", cap(b))
		}
	}
}

func TestGrow(t *testing.T) {
	b := append(Get(10), "hello"...)
	b = Grow(b, 10000)
	if string(b) != "hello" || cap(b)-len(b) < 10000 {
		t.Fatalf("Grow: %q cap %d", b, cap(b))
	}
	Put(b)
}

func BenchmarkGetPut(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Put(Get(4096))
	}
}
