package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fusion/internal/hub"
	"fusion/internal/taxii/client"
)

// PartnerTokenFile is where the token a partner hub issued to this hub is
// kept, under the data directory's secrets (mode 0600).
func PartnerTokenFile(secrets, partner string) string {
	return filepath.Join(secrets, "partners", partner+".token")
}

// federate runs every partner's job when it is due: pull the partner's
// collection into the hub (ImportFederated), then send the partner the
// sightings of its records here (SightingsFor, to its inbox).
func (s *Server) federate(ctx context.Context) {
	tick := time.NewTicker(s.cfg.FederationTick)
	defer tick.Stop()
	for {
		partners, err := s.cfg.Hub.OperatorPartners(ctx)
		if err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("federation: list partners", "err", err)
		}
		for _, p := range partners {
			if ctx.Err() != nil {
				return
			}
			if p.LastRun != nil && time.Since(*p.LastRun) < p.Every {
				continue
			}
			pulled, sent, cursor, err := s.federateOnce(ctx, p)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				s.cfg.Log.Warn("federation: partner failed", "partner", p.Name, "err", err)
			} else if pulled > 0 || sent > 0 {
				s.cfg.Log.Info("federation: partner done", "partner", p.Name, "pulled", pulled, "sent", sent)
			}
			if rerr := s.cfg.Hub.PartnerRun(ctx, p.Name, err, cursor, pulled, sent); rerr != nil && ctx.Err() == nil {
				s.cfg.Log.Error("federation: record run", "partner", p.Name, "err", rerr)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// federateOnce pulls what partner p added since the last run and sends
// it the changed sightings; it returns the objects pulled, the sightings
// sent, and the new cursor ("" when none).
func (s *Server) federateOnce(ctx context.Context, p hub.Partner) (pulled, sent int64, cursor string, err error) {
	token, err := os.ReadFile(PartnerTokenFile(s.cfg.Secrets, p.Name))
	if err != nil {
		return 0, 0, "", fmt.Errorf("the token for partner %s: %w", p.Name, err)
	}
	c := client.New(client.Options{Token: strings.TrimSpace(string(token)), Timeout: 2 * time.Minute, UserAgent: "fusion-federation"})
	root, _, err := c.FindAPIRoot(ctx, p.URL)
	if err != nil {
		return 0, 0, "", err
	}
	q := client.Query{AddedAfter: p.AddedAfter, Limit: 1000}
	err = c.Each(ctx, root, p.Collection, q, func(page client.Page) error {
		if len(page.Objects) > 0 {
			res, err := s.cfg.Hub.ImportFederated(ctx, p, page.Objects)
			if err != nil {
				return err
			}
			s.cfg.Log.Debug("federation: imported", "partner", p.Name, "totals", fmt.Sprintf("%+v", res.Totals))
			for _, o := range res.Objects {
				if o.Status == hub.Skipped && o.Type == "indicator" {
					s.cfg.Log.Debug("federation: indicator skipped", "partner", p.Name, "id", o.ID, "reason", o.Reason)
				}
			}
			if res.Totals.Failed > 0 {
				for _, o := range res.Objects {
					if o.Status == hub.Failed {
						s.cfg.Log.Warn("federation: objects refused", "partner", p.Name, "failed", res.Totals.Failed, "first", o.ID, "reason", o.Reason)
						break
					}
				}
			}
			pulled += int64(len(page.Objects))
		}
		if page.DateAddedLast != "" {
			cursor = page.DateAddedLast
		}
		return nil
	})
	if err != nil {
		return pulled, 0, cursor, fmt.Errorf("pull %s collection %s: %w", p.URL, p.Collection, err)
	}
	objs, marks, err := s.cfg.Hub.SightingsFor(ctx, p)
	if err != nil || len(objs) == 0 {
		return pulled, 0, cursor, err
	}
	inbox, err := inboxOf(ctx, c, root)
	if err != nil {
		return pulled, 0, cursor, err
	}
	st, err := c.AddObjects(ctx, root, inbox, objs)
	if err != nil {
		return pulled, 0, cursor, fmt.Errorf("send sightings to %s: %w", p.Name, err)
	}
	if st.FailureCount > 0 {
		s.cfg.Log.Warn("federation: partner refused sightings", "partner", p.Name, "failures", st.FailureCount, "first", st.Failures[0].Message)
	}
	return pulled, int64(len(objs)), cursor, s.cfg.Hub.MarkSent(ctx, p, marks)
}

// inboxOf finds the collection that takes objects and cannot be read: a
// fusion hub's inbox.
func inboxOf(ctx context.Context, c *client.Client, root string) (string, error) {
	cols, err := c.Collections(ctx, root)
	if err != nil {
		return "", err
	}
	for _, col := range cols {
		if col.CanWrite && !col.CanRead {
			return col.ID, nil
		}
	}
	return "", errors.New("the partner offers no inbox collection (writable, not readable)")
}
