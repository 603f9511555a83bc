package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fusion/internal/hub"
	"fusion/internal/policy"
)

// MISPEvent is the uuid of the MISP event the demo's cert-fr imported.
const MISPEvent = "7b1d3c2e-5f4a-4e8b-9c6d-2a1f0e9d8c7b"

// mispEvent is a MISP event as a CERT's MISP instance exports it: event
// and object attributes, a galaxy cluster, taxonomy tags, a context
// attribute, one not for detection, one deleted and sightings.
const mispEvent = `{"Event":{"uuid":"` + MISPEvent + `","info":"Banking trojan campaign: loader domains and C2","date":"{DATE}",
 "threat_level_id":"2","analysis":"1","distribution":"3","timestamp":"{TS}","published":true,
 "Orgc":{"name":"Hexagone National CERT","uuid":"4c1a9e0b-7d3f-4b2a-8e5c-1f0d9a8b7c6e"},
 "Tag":[{"name":"tlp:green"},{"name":"misp-galaxy:banker=\"Sandworm loader\""},{"name":"admiralty-scale:source-reliability=\"b\""}],
 "Galaxy":[{"type":"banker","GalaxyCluster":[{"type":"banker","value":"Sandworm loader"}]}],
 "Attribute":[
  {"uuid":"6a2c4e1f-0001-4a3b-8c5d-6e7f8a9b0c1d","type":"domain","category":"Network activity","value":"update-check.loader-cdn.example.net","to_ids":true,"comment":"first-stage download host",
   "Sighting":[{"uuid":"6a2c4e1f-5001-4a3b-8c5d-6e7f8a9b0c1d","type":"0","date_sighting":"{TS}","Organisation":{"name":"Hexagone National CERT"}}]},
  {"uuid":"6a2c4e1f-0002-4a3b-8c5d-6e7f8a9b0c1d","type":"ip-dst|port","category":"Network activity","value":"198.51.100.77|8443","to_ids":true,"comment":"C2"},
  {"uuid":"6a2c4e1f-0003-4a3b-8c5d-6e7f8a9b0c1d","type":"url","category":"Payload delivery","value":"https://update-check.loader-cdn.example.net/dl/invoice.js","to_ids":true},
  {"uuid":"6a2c4e1f-0004-4a3b-8c5d-6e7f8a9b0c1d","type":"text","category":"Other","value":"Lures are invoices sent from compromised supplier mailboxes","to_ids":false},
  {"uuid":"6a2c4e1f-0005-4a3b-8c5d-6e7f8a9b0c1d","type":"domain","category":"Network activity","value":"cdn.loader-cdn.example.net","to_ids":false,"comment":"shared hosting, not for blocking"},
  {"uuid":"6a2c4e1f-0006-4a3b-8c5d-6e7f8a9b0c1d","type":"ip-dst","category":"Network activity","value":"198.51.100.78","to_ids":true,"deleted":true}
 ],
 "Object":[{"name":"file","uuid":"6a2c4e1f-1000-4a3b-8c5d-6e7f8a9b0c1d","Attribute":[
  {"uuid":"6a2c4e1f-1001-4a3b-8c5d-6e7f8a9b0c1d","type":"filename","category":"Payload delivery","value":"invoice_2026_11.js","to_ids":false,"object_relation":"filename"},
  {"uuid":"6a2c4e1f-1002-4a3b-8c5d-6e7f8a9b0c1d","type":"sha256","category":"Payload delivery","value":"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef","to_ids":true,"object_relation":"sha256"}]}]
}}`

// importMISP has cert-fr import the demo's MISP event, as `fusion misp
// import` would.
// It returns the number of records the event gave.
func importMISP(ctx context.Context, h *hub.Hub, c *policy.Caller, now time.Time) (int, error) {
	ev := strings.NewReplacer("{DATE}", now.Add(-48*time.Hour).Format(time.DateOnly), "{TS}", fmt.Sprint(now.Add(-47*time.Hour).Unix())).Replace(mispEvent)
	res, err := h.ImportMISP(ctx, c, []byte(ev), hub.MISPOptions{})
	if err != nil {
		return 0, err
	}
	if t := res.Totals; t.Created != 1 || t.Attributes.Refused != 0 {
		return 0, fmt.Errorf("demo MISP event: %+v", res.Events)
	}
	return res.Totals.Attributes.Created, nil
}
