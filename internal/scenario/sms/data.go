package sms

// country is a region whose users request codes.
type country struct {
	Region string // ISO 3166-1 alpha-2, a libphonenumber region
	Share  float64
	// UTCOffset is the local standard time offset in minutes, for the
	// diurnal rhythm; a country spanning zones has the zone of most users.
	UTCOffset int
	IOS       float64 // share of requests from the iOS app (the rest: Android, web)
}

// countries are the app's users, by share of legitimate requests (percent,
// normalised at use): a global consumer app with its largest markets in the
// Americas, South Asia and Europe, and small shares in the destinations that
// pumping campaigns target, so that a country alone gives nothing away.
var countries = []country{
	{"US", 16, -360, 0.55}, {"IN", 9, 330, 0.05}, {"BR", 6, -180, 0.15}, {"GB", 5, 0, 0.5},
	{"ID", 4, 420, 0.1}, {"DE", 4, 60, 0.35}, {"FR", 3.5, 60, 0.35}, {"MX", 3.5, -360, 0.2},
	{"PH", 3, 480, 0.15}, {"NG", 2.5, 60, 0.1}, {"ES", 2.5, 60, 0.3}, {"IT", 2.5, 60, 0.3},
	{"TR", 2, 180, 0.2}, {"CA", 2, -300, 0.5}, {"VN", 2, 420, 0.3}, {"PK", 2, 300, 0.05},
	{"EG", 1.5, 120, 0.1}, {"BD", 1.5, 360, 0.05}, {"JP", 1.5, 540, 0.65}, {"TH", 1.5, 420, 0.3},
	{"CO", 1.5, -300, 0.2}, {"AR", 1.2, -180, 0.2}, {"PL", 1.2, 60, 0.25}, {"KR", 1, 540, 0.3},
	{"NL", 1, 60, 0.45}, {"ZA", 1, 120, 0.2}, {"KE", 1, 180, 0.05}, {"SA", 1, 180, 0.45},
	{"AE", 1, 240, 0.55}, {"MY", 1, 480, 0.25}, {"AU", 1, 600, 0.55}, {"RU", 1, 180, 0.3},
	{"PE", 0.8, -300, 0.15}, {"CL", 0.8, -240, 0.25}, {"MA", 0.8, 60, 0.1}, {"UA", 0.8, 120, 0.25},
	{"RO", 0.8, 120, 0.2}, {"PT", 0.6, 0, 0.3}, {"BE", 0.6, 60, 0.4}, {"SE", 0.6, 60, 0.5},
	{"GR", 0.5, 120, 0.2}, {"CZ", 0.5, 60, 0.3}, {"IL", 0.5, 120, 0.4}, {"GH", 0.5, 0, 0.1},
	{"HU", 0.4, 60, 0.25}, {"CH", 0.4, 60, 0.55}, {"AT", 0.4, 60, 0.45}, {"IE", 0.4, 0, 0.5},
	{"SG", 0.4, 480, 0.5}, {"KZ", 0.4, 300, 0.2}, {"NZ", 0.3, 780, 0.5}, {"NO", 0.3, 60, 0.55},
	{"DK", 0.3, 60, 0.55}, {"FI", 0.3, 120, 0.35}, {"LK", 0.3, 330, 0.1}, {"UZ", 0.3, 300, 0.1},
	{"NP", 0.2, 345, 0.1}, {"MM", 0.2, 390, 0.1}, {"BY", 0.2, 180, 0.2}, {"IQ", 0.2, 180, 0.15},
	{"LT", 0.15, 120, 0.35}, {"AZ", 0.15, 240, 0.2}, {"KH", 0.15, 420, 0.2}, {"LV", 0.1, 120, 0.35},
	{"EE", 0.1, 120, 0.35}, {"KG", 0.1, 360, 0.1}, {"TJ", 0.1, 300, 0.1}, {"GE", 0.1, 240, 0.25},
	{"AM", 0.1, 240, 0.25}, {"MD", 0.1, 120, 0.2}, {"OM", 0.1, 240, 0.4},
}

// webShare is the share of legitimate requests from the web sign-in page.
const webShare = 0.15

// target is a destination of pumping campaigns: high termination rates,
// operators that share revenue with number-range holders.
type target struct {
	Region string
	Weight float64
}

var targets = []target{
	{"UZ", 3}, {"LV", 2}, {"KG", 2}, {"TJ", 2}, {"AZ", 2}, {"LK", 2}, {"MM", 2},
	{"BY", 1}, {"GE", 1}, {"KH", 1}, {"IQ", 1}, {"OM", 1},
}

// diurnal is the relative request rate by local hour (0 to 23): quiet at
// night, a morning rise, a long day and an evening peak. It is normalised
// to a mean of 1 at start-up.
var diurnal = [24]float64{
	0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.35, 0.6, 0.85, 1.0, 1.1, 1.15,
	1.2, 1.2, 1.15, 1.1, 1.1, 1.15, 1.25, 1.35, 1.4, 1.3, 1.0, 0.65,
}

func init() {
	sum := 0.0
	for _, v := range diurnal {
		sum += v
	}
	for i := range diurnal {
		diurnal[i] *= float64(len(diurnal)) / sum
	}
}

// The app that sends the codes: a fictional airline's loyalty app.
const (
	appAndroid = "azureskies-android"
	appIOS     = "azureskies-ios"
	appWeb     = "azureskies-web"
)

var apps = []string{appAndroid, appIOS, appWeb}

// Legitimate user agents are built from these parts.
var (
	appVersions     = []string{"7.4.2", "7.4.2", "7.4.2", "7.4.1", "7.4.1", "7.3.0", "7.2.5"}
	androidVersions = []string{"14", "14", "13", "13", "12", "15", "11"}
	androidDevices  = []string{
		"SM-S918B", "SM-A546B", "SM-A155F", "Pixel 8", "Pixel 7a", "M2101K6G", "CPH2451",
		"22101316G", "moto g54 5G", "RMX3761", "SM-G991B", "V2250", "TECNO KI5k", "2201117TG",
	}
	iosVersions = []string{"18.1", "18.1", "18.0.1", "17.6.1", "17.5.1", "16.7.10", "18.2"}
	iosDevices  = []string{"iPhone15,2", "iPhone16,1", "iPhone14,5", "iPhone13,2", "iPhone15,4", "iPhone12,1", "iPhone16,2"}
	browsers    = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
		"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	}
)

// Pumping bots: scripting clients, stale or headless browsers, and the
// Android app's user agent with a version long retired.
var (
	botClients = []string{
		"python-requests/2.31.0", "Go-http-client/2.0", "curl/7.81.0", "okhttp/3.12.12",
		"Apache-HttpClient/4.5.14 (Java/17.0.9)", "axios/1.6.2", "Dalvik/2.1.0 (Linux; U; Android 9; SM-G960F Build/PPR1.180610.011)",
	}
	staleBrowsers = []string{
		"Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.88 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:68.0) Gecko/20100101 Firefox/68.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_6) AppleWebKit/603.3.8 (KHTML, like Gecko) Version/10.1.2 Safari/603.3.8",
		"Mozilla/5.0 (Linux; Android 7.0; SM-G930V) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/59.0.3071.125 Mobile Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 12_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.0 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/91.0.4472.124 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.150 Safari/537.36",
		"Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
	}
	staleAppVersions = []string{"5.0.3", "6.0.1", "6.1.0", "4.9.9"}
)

// reserved are the IPv4 ranges that are not public unicast addresses
// (RFC 6890 and multicast/reserved space), as address and prefix length.
var reserved = []struct {
	addr uint32
	bits int
}{
	{0x00000000, 8}, {0x0a000000, 8}, {0x64400000, 10}, {0x7f000000, 8}, {0xa9fe0000, 16},
	{0xac100000, 12}, {0xc0000000, 24}, {0xc0000200, 24}, {0xc0586300, 24}, {0xc0a80000, 16},
	{0xc6120000, 15}, {0xc6336400, 24}, {0xcb007100, 24}, {0xe0000000, 3},
}

// isPublic reports whether a is a public unicast IPv4 address.
func isPublic(a uint32) bool {
	for _, r := range reserved {
		if a>>(32-r.bits) == r.addr>>(32-r.bits) {
			return false
		}
	}
	return true
}

// newMarkets are the countries a launch adds, in turn: markets the app does
// not serve before the launch (none of countries). Share is unused; the
// launch sets the rate.
var newMarkets = []country{
	{"CR", 0, -360, 0.35}, {"UY", 0, -180, 0.3}, {"EC", 0, -300, 0.2}, {"DO", 0, -240, 0.25},
	{"JO", 0, 120, 0.35}, {"QA", 0, 180, 0.5}, {"TN", 0, 60, 0.15}, {"PA", 0, -300, 0.35},
}
