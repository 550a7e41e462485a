//go:build !race

package check

import "testing"

func TestOriginsAllowsAllocatesNothing(t *testing.T) {
	o, err := ParseOrigins([]string{"https://app.example", "*.example.com:8443"})
	if err != nil {
		t.Fatal(err)
	}
	v := []byte("https://a.example.com:8443")
	if n := testing.AllocsPerRun(100, func() { o.Allows(v) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}
