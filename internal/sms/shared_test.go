package sms

import (
	"slices"
	"testing"
)

func TestSharedReplace(t *testing.T) {
	s := NewShared()
	if err := s.Add("+3712123"); err != nil {
		t.Fatal(err)
	}
	if err := s.Replace([]string{"+44794", "+4479460", "+44794"}); err != nil {
		t.Fatal(err)
	}
	if got := s.List(); !slices.Equal(got, []string{"+44794", "+4479460"}) {
		t.Fatalf("after Replace: %v", got)
	}
	if p, ok := s.Match("+447946012345"); !ok || p != "+4479460" {
		t.Fatalf("Match: %q %v, want the longest prefix", p, ok)
	}
	if _, ok := s.Match("+37121230000"); ok {
		t.Fatal("a prefix replaced away still matches")
	}
	if err := s.Replace([]string{"+44", "44"}); err == nil {
		t.Fatal("Replace took a prefix without +")
	}
	if got := s.List(); !slices.Equal(got, []string{"+44794", "+4479460"}) {
		t.Fatalf("a refused Replace changed the set: %v", got)
	}
	if err := s.Replace(nil); err != nil || len(s.List()) != 0 {
		t.Fatalf("Replace(nil): %v %v", s.List(), err)
	}
	if s.Remove("+44794") {
		t.Fatal("Remove found a prefix in an emptied set")
	}
}
