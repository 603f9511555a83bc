package hub

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/policy"
	"fusion/internal/progress"
	"fusion/internal/store"
	"fusion/internal/tor"
)

// TorCaution marks a sighting or hit on an address that was a Tor exit at
// the time: traffic from it came from some Tor user, not from whoever holds
// the address.
type TorCaution struct {
	Exit    bool      `json:"tor_exit"`
	At      time.Time `json:"at"`
	Caution string    `json:"caution"`
}

// SetTorDirectory makes d the directory Tor checks and cautions use; it
// may be called again after an import.
func (h *Hub) SetTorDirectory(d *tor.Directory) { h.tor.Store(d) }

// TorDirectory returns the directory in use, or nil.
func (h *Hub) TorDirectory() *tor.Directory { return h.tor.Load() }

// TorCheck answers whether ip was a Tor relay or exit at t.
func (h *Hub) TorCheck(_ context.Context, c *policy.Caller, ip netip.Addr, t time.Time, window time.Duration) (tor.Answer, error) {
	if err := policy.Require(c, policy.ReadVerdicts); err != nil {
		return tor.Answer{}, err
	}
	d := h.tor.Load()
	if d == nil {
		d = &tor.Directory{} // no data: the answer says so
	}
	return d.Check(ip, t, window), nil
}

// TorCheckLikeExoneraTor answers by ExoneraTor's rules (the UTC date of t
// and the day either side; see tor.Directory.CheckLikeExoneraTor).
func (h *Hub) TorCheckLikeExoneraTor(_ context.Context, c *policy.Caller, ip netip.Addr, t time.Time) (tor.Answer, error) {
	if err := policy.Require(c, policy.ReadVerdicts); err != nil {
		return tor.Answer{}, err
	}
	d := h.tor.Load()
	if d == nil {
		d = &tor.Directory{}
	}
	return d.CheckLikeExoneraTor(ip, t), nil
}

// ImportTor imports Tor consensuses and exit lists from paths (files,
// directories, .tar and .tar.xz archives), as c (an admin of the hub's
// operator organization) or, with c nil, as the hub's operator at its own
// machine. One evidence leaf is written in the import's transaction: the
// import (every file read with its SHA-256 and size, and what was added)
// and the Tor data as a whole after it (store.TorDigest), so that the data
// behind court-facing verdicts cannot change unseen. The hub's directory is
// reloaded afterwards.
func (h *Hub) ImportTor(ctx context.Context, c *policy.Caller, paths []string, bar *progress.Bar) (tor.ImportStats, error) {
	return h.importTor(ctx, c, paths, bar, func(name string) string { return name })
}

// ImportTorUpload is ImportTor for one uploaded file kept at path, which
// the evidence names by the name it was uploaded as.
func (h *Hub) ImportTorUpload(ctx context.Context, c *policy.Caller, path, name string) (tor.ImportStats, error) {
	return h.importTor(ctx, c, []string{path}, nil, func(walked string) string {
		return name + strings.TrimPrefix(walked, path)
	})
}

func (h *Hub) importTor(ctx context.Context, c *policy.Caller, paths []string, bar *progress.Bar, rename func(string) string) (tor.ImportStats, error) {
	a := operator
	if c != nil {
		if err := policy.Require(c, policy.OperateHub); err != nil {
			return tor.ImportStats{}, err
		}
		a = actorOf(c)
	}
	stats, err := tor.Import(ctx, h.store, paths, bar, func(tx *store.Tx, files []store.TorFile, stats tor.ImportStats, write func() error) error {
		if err := tx.LockEvidence(); err != nil {
			return err
		}
		before, err := tx.TorDigest()
		if err != nil {
			return err
		}
		if err := write(); err != nil {
			return err
		}
		x := store.TorImport{ID: newID(), Imported: h.now(), Files: files, Consensuses: stats.Consensuses, Skipped: stats.Skipped,
			Relays: stats.Relays, Intervals: stats.Intervals, ExitLists: stats.ExitLists, ExitScans: stats.ExitScans}
		if x.Files == nil {
			x.Files = []store.TorFile{}
		}
		for i := range x.Files {
			x.Files[i].Name = rename(x.Files[i].Name)
		}
		if err := tx.InsertTorImport(x); err != nil {
			return err
		}
		digest, err := tx.TorDigest()
		if err != nil {
			return err
		}
		data := evidence.Object{Kind: evidence.KindTorData, ID: evidence.TorDataID, SHA256: hex.EncodeToString(digest[:])}
		if before != store.EmptyTorDigest {
			data.Prev = hex.EncodeToString(before[:]) // the data held before this import
		}
		return h.ev.Append(tx, a.leaf(evidence.TorImport,
			evidence.ObjectOf(evidence.KindTorImport, x.ID, "", evidence.TorImportContent(x)), data))
	})
	var skip *tor.SkipError
	if err != nil && !errors.As(err, &skip) {
		return stats, err
	}
	if d, lerr := tor.LoadDirectory(ctx, h.store); lerr == nil {
		h.SetTorDirectory(d)
	} else {
		h.log.Error("reload tor data after import", "err", lerr)
	}
	return stats, err
}

// torCaution returns the caution for value at t, if value is an address
// that was a Tor exit then.
func (h *Hub) torCaution(value string, t time.Time) *TorCaution {
	d := h.tor.Load()
	if d == nil {
		return nil
	}
	a, err := netip.ParseAddr(value)
	if err != nil || !d.IsExit(a, t) {
		return nil
	}
	return &TorCaution{Exit: true, At: t.UTC(), Caution: fmt.Sprintf(
		"%s was a Tor exit at %s: traffic from it came from an unknown Tor user, not from the address's operator or subscriber", a, t.UTC().Format(time.RFC3339))}
}
