package tor

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestPortPolicyAllows(t *testing.T) {
	tests := []struct {
		policy   string
		allowed  []uint16
		rejected []uint16
		any      bool
	}{
		{"reject 1-65535", nil, []uint16{0, 1, 22, 80, 443, 65535}, false},
		{"accept 1-65535", []uint16{1, 80, 65535}, []uint16{0}, true},
		{"accept 80,443", []uint16{80, 443}, []uint16{0, 1, 79, 81, 442, 444, 8080, 65535}, true},
		{"accept 65535", []uint16{65535}, []uint16{0, 1, 65534}, true},
		{"reject 25,119,135-139,445,563,1214,4661-4666,6346-6429,6699,6881-6999",
			[]uint16{1, 24, 26, 80, 134, 140, 443, 444, 446, 4660, 4667, 6345, 6430, 6698, 6700, 6880, 7000, 65535},
			[]uint16{0, 25, 119, 135, 137, 139, 445, 563, 1214, 4661, 4666, 6346, 6400, 6429, 6699, 6881, 6999},
			true},
		{"reject 1", []uint16{2, 65535}, []uint16{0, 1}, true},
		{"reject 2-65535", []uint16{1}, []uint16{0, 2, 65535}, true},
		{"reject 1-65534", []uint16{65535}, []uint16{0, 1, 65534}, true},
		{"reject 1-100,101-65535", nil, []uint16{0, 1, 100, 101, 65535}, false},
		{"reject 1000-65535,1-999", nil, []uint16{1, 999, 1000}, false},          // unsorted, still covers all
		{"reject 1000-65535,1-998", []uint16{999}, []uint16{1, 998, 1000}, true}, // unsorted with a one-port gap
		{"reject 1-500,400-65535", nil, []uint16{450}, false},                    // overlapping
		{"accept 20-23,43,53,79-81", []uint16{20, 21, 23, 43, 53, 79, 81}, []uint16{19, 24, 42, 44, 82}, true},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			p, err := ParsePortPolicy(tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			for _, port := range tt.allowed {
				if !p.Allows(port) {
					t.Errorf("Allows(%d) = false, want true", port)
				}
			}
			for _, port := range tt.rejected {
				if p.Allows(port) {
					t.Errorf("Allows(%d) = true, want false", port)
				}
			}
			if got := p.AllowsAny(); got != tt.any {
				t.Errorf("AllowsAny() = %v, want %v", got, tt.any)
			}
			// AllowsAny agrees with Allows over every port.
			some := false
			for port := 1; port <= 65535 && !some; port++ {
				some = p.Allows(uint16(port))
			}
			if some != p.AllowsAny() {
				t.Errorf("AllowsAny() = %v, but some port allowed = %v", p.AllowsAny(), some)
			}
			// Round trip through String.
			if got := p.String(); got != tt.policy {
				t.Errorf("String() = %q, want %q", got, tt.policy)
			}
			q, err := ParsePortPolicy(p.String())
			if err != nil || q.Accept != p.Accept || !slices.Equal(q.Ranges, p.Ranges) {
				t.Errorf("ParsePortPolicy(String()) = %v, %v; want %v", q, err, p)
			}
		})
	}
}

func TestPortPolicyZero(t *testing.T) {
	var p PortPolicy
	if p.Allows(80) || p.AllowsAny() || p.String() != "" {
		t.Errorf("zero PortPolicy allows something or prints %q", p.String())
	}
	// A hand-made "reject" with no ranges is treated the same way.
	if (PortPolicy{Accept: false, Ranges: []PortRange{}}).Allows(80) {
		t.Error("reject with no ranges allows port 80")
	}
}

func TestParsePortPolicyErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "has 0 fields"},
		{"accept", "has 1 fields"},
		{"accept 80 443", "has 3 fields"},
		{"allow 80", `policy "allow"`},
		{"Accept 80", `policy "Accept"`},
		{"accept 0", "port 0"},
		{"accept 0-10", "port 0"},
		{"accept 65536", "not a port"},
		{"accept 100000", "not a port"},
		{"accept 10-5", "backwards"},
		{"accept 80,", "ends with a comma"},
		{"accept ,80", "empty entry"},
		{"accept 80,,443", "empty entry"},
		{"accept 1-2-3", "not a port"},
		{"accept -5", "not a port"},
		{"accept +5", "not a port"},
		{"accept 5-", "not a port"},
		{"accept 0x50", "not a port"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParsePortPolicy(tt.in)
			if err == nil || !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one wrapping ErrSyntax containing %q", err, tt.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "tor: port policy: ") {
				t.Errorf("error %q lacks the tor: port policy prefix", err)
			}
		})
	}
}
