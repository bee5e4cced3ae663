package cloudmap_test

import (
	"context"
	"testing"

	"github.com/cloudmap/cloudmap"
)

func TestValidRegion(t *testing.T) {
	for _, r := range []string{"us-east-1", "eu-west-1", "ap-southeast-4", "us-gov-west-1", "cn-north-1", "us-isob-east-1", "il-central-1"} {
		if !cloudmap.ValidRegion(r) {
			t.Errorf("ValidRegion(%q) = false, want true", r)
		}
	}
	for _, r := range []string{"", "us", "us-east", "US-EAST-1", "us-east-1a", "us_east_1", "u-east-1", "us-east-123",
		"us--east-1", "-us-east-1", "us-east-1-", "us-east-1/x", "us-east-1/../ns"} {
		if cloudmap.ValidRegion(r) {
			t.Errorf("ValidRegion(%q) = true, want false", r)
		}
	}
}

func TestValidAccountID(t *testing.T) {
	for s, want := range map[string]bool{"123456789012": true, "12345678901": false, "1234567890123": false, "12345678901a": false, "": false} {
		if got := cloudmap.ValidAccountID(s); got != want {
			t.Errorf("ValidAccountID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSplitCellKey(t *testing.T) {
	c := cloudmap.Cell{Account: "111111111111", Region: "eu-west-1"}
	tests := []struct {
		key, prefix, rest string
		ok                bool
	}{
		{"ns/ns-1", "", "ns/ns-1", true},
		{"cells/111111111111/eu-west-1", "", "cells/111111111111/eu-west-1", true},
		{c.KeyPrefix() + "ns/ns-1", "cell/111111111111/eu-west-1/", "ns/ns-1", true},
		{"cell/1111/eu-west-1/ns/ns-1", "", "cell/1111/eu-west-1/ns/ns-1", false},
		{"cell/111111111111/EU/ns/ns-1", "", "cell/111111111111/EU/ns/ns-1", false},
		{"cell/111111111111/eu-west-1", "", "cell/111111111111/eu-west-1", false},
	}
	for _, tt := range tests {
		prefix, rest, ok := cloudmap.SplitCellKey(tt.key)
		if prefix != tt.prefix || rest != tt.rest || ok != tt.ok {
			t.Errorf("SplitCellKey(%q) = %q, %q, %v; want %q, %q, %v", tt.key, prefix, rest, ok, tt.prefix, tt.rest, tt.ok)
		}
	}
	if got, ok := cloudmap.CellOfPrefix(c.KeyPrefix()); !ok || got != c {
		t.Errorf("CellOfPrefix(%q) = %v, %v; want %v", c.KeyPrefix(), got, ok, c)
	}
	if _, ok := cloudmap.CellOfPrefix(""); ok {
		t.Error("CellOfPrefix(\"\") names a cell, want the default (false)")
	}
}

func TestWithCell(t *testing.T) {
	ctx := context.Background()
	if _, ok := cloudmap.CellFrom(ctx); ok {
		t.Error("a bare context carries a cell")
	}
	c := cloudmap.Cell{Account: "222222222222", Region: "ap-south-1"}
	ctx = cloudmap.WithCell(ctx, c)
	if got, ok := cloudmap.CellFrom(ctx); !ok || got != c || got.KeyPrefix() != "cell/222222222222/ap-south-1/" {
		t.Errorf("CellFrom = %v, %v, prefix %q", got, ok, got.KeyPrefix())
	}
}
