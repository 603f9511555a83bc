package warninglist

import "net/netip"

// builtin is a list shipped with fusion. The address lists follow the IANA
// special-purpose registries (RFC 6890 and its updates) and MISP's
// warning lists of the same names; the domain lists are short on purpose:
// they catch a submitter's slip, they do not rank the web.
type builtin struct {
	name, description string
	prefixes          []string
	domains, suffixes []string
}

func (b builtin) build() *List {
	l := &List{Name: b.name, Description: b.description, domains: map[string]bool{}, suffixes: b.suffixes}
	for _, p := range b.prefixes {
		l.prefixes = append(l.prefixes, netip.MustParsePrefix(p))
	}
	for _, d := range b.domains {
		l.domains[d] = true
	}
	return l
}

var builtins = []builtin{
	{name: "private", description: "private address space (RFC 1918, RFC 6598 shared address space, RFC 4193 unique local)",
		prefixes: []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"}},
	{name: "loopback", description: "loopback addresses (RFC 1122, RFC 4291)",
		prefixes: []string{"127.0.0.0/8", "::1/128"}},
	{name: "link-local", description: "link-local addresses (RFC 3927, RFC 4291)",
		prefixes: []string{"169.254.0.0/16", "fe80::/10"}},
	{name: "documentation", description: "address ranges reserved for documentation and examples (RFC 5737, RFC 3849, RFC 9637)",
		prefixes: []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20"}},
	{name: "bogon", description: "addresses that are never a host on the internet: unspecified, \"this network\", IETF protocol assignments, benchmarking, multicast, reserved and broadcast (RFC 6890)",
		prefixes: []string{"0.0.0.0/8", "192.0.0.0/24", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "::/128", "100::/64", "ff00::/8"}},
	{name: "special-domains", description: "special-use and reserved domain names (RFC 2606, RFC 6761, RFC 6762, RFC 8375, ICANN's .internal)",
		suffixes: []string{"localhost", "local", "test", "invalid", "example", "example.com", "example.net", "example.org", "home.arpa", "internal"}},
	{name: "popular-domains", description: "a very popular benign site",
		domains: []string{
			"google.com", "youtube.com", "facebook.com", "instagram.com", "whatsapp.com", "twitter.com", "x.com",
			"wikipedia.org", "amazon.com", "apple.com", "icloud.com", "microsoft.com", "windows.com", "windowsupdate.com",
			"live.com", "office.com", "office365.com", "outlook.com", "bing.com", "msn.com", "yahoo.com", "linkedin.com",
			"netflix.com", "github.com", "cloudflare.com", "baidu.com", "yandex.ru", "vk.com", "reddit.com", "tiktok.com",
			"zoom.us", "adobe.com", "dropbox.com", "mozilla.org", "gstatic.com", "googleapis.com", "akamai.com",
			"digicert.com", "letsencrypt.org", "paypal.com", "ebay.com", "booking.com", "spotify.com", "telegram.org",
			"duckduckgo.com", "naver.com", "yahoo.co.jp", "line.me", "rakuten.co.jp", "qq.com",
		}},
	{name: "public-resolvers", description: "a public DNS resolver (Google, Cloudflare, Quad9, OpenDNS, AdGuard)",
		prefixes: []string{
			"8.8.8.8/32", "8.8.4.4/32", "1.1.1.1/32", "1.0.0.1/32", "9.9.9.9/32", "149.112.112.112/32",
			"208.67.222.222/32", "208.67.220.220/32", "94.140.14.14/32", "94.140.15.15/32",
			"2001:4860:4860::8888/128", "2001:4860:4860::8844/128", "2606:4700:4700::1111/128", "2606:4700:4700::1001/128",
			"2620:fe::fe/128", "2620:fe::9/128",
		}},
}
