package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fusion/internal/hub"
	"fusion/internal/policy"
	"fusion/internal/scenario"
	_ "fusion/internal/scenario/network" // the network kind
	"fusion/internal/zeek"
)

// NetworkHosts and NetworkDays size the network scenario whose logs
// police-nl's sensor posts: a day of 20 hosts is about 330,000 connections
// (90 MB of logs in a temporary directory, removed after), generated and
// read in about a second, and leaves about 12 MB of detector state (live
// heap, measured).
const (
	NetworkHosts = 20
	NetworkDays  = 1
)

// detections generates a day of a small enterprise network (scenario kind
// network, yesterday) and posts its Zeek logs — names first: http and ssl,
// then dns and conn — through the hub as sensor, so that police-nl's
// detections page and GET /api/v1/detections show beacons out of the box.
// It returns the number of detections.
func detections(ctx context.Context, h *hub.Hub, sensor *policy.Caller, now time.Time) (int, error) {
	dir, err := os.MkdirTemp("", "fusion-demo-network-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	p := scenario.Params{Kind: "network", Seed: 1, Hosts: NetworkHosts, Days: NetworkDays, Start: now.Truncate(24*time.Hour).AddDate(0, 0, -NetworkDays)}
	if err := scenario.Generate(ctx, p, dir, nil); err != nil {
		return 0, fmt.Errorf("demo network: %w", err)
	}
	var res hub.DetectResult
	for _, name := range []string{"http.log", "ssl.log", "dns.log", "conn.log"} {
		if res, err = postLog(ctx, h, sensor, filepath.Join(dir, name)); err != nil {
			return 0, fmt.Errorf("demo network: %s: %w", name, err)
		}
	}
	return res.Detections, nil
}

func postLog(ctx context.Context, h *hub.Hub, sensor *policy.Caller, path string) (hub.DetectResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return hub.DetectResult{}, err
	}
	defer f.Close()
	zr, err := zeek.NewReader(f)
	if err != nil {
		return hub.DetectResult{}, err
	}
	return h.Detect(ctx, sensor, zr)
}
