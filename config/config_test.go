package config

import (
	"reflect"
	"testing"
)

func TestExampleIsDefault(t *testing.T) {
	got, err := Parse(Example())
	if err != nil {
		t.Fatalf("Parse(Example()): %v", err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(Example()) = %+v\nwant Default() = %+v", got, want)
	}
}
