package c2

// Severity names, as finding.Finding.Severity carries them.
const (
	SevCritical = "critical"
	SevHigh     = "high"
	SevMedium   = "medium"
	SevLow      = "low"
	SevNone     = "none"
)

// RITA v5's beacon score thresholds (score_thresholds: base 50, low 75,
// medium 90, high 100, in percent) and the threat score at the top of each
// category (NONE/LOW/MEDIUM/HIGH_CATEGORY_SCORE: 0.2, 0.4, 0.6, 0.8).
const (
	beaconBase, beaconLow, beaconMed, beaconHigh = 0.5, 0.75, 0.9, 1.0
	threatNone, threatLow, threatMed, threatHigh = 0.2, 0.4, 0.6, 0.8
)

// ThreatScore maps a beacon score in [0, 1] to RITA's threat score
// (calculateBucketedScore): 0 below 0.5, then linear from 0.2 at 0.5 to
// 0.4 at 0.75, to 0.6 at 0.9 and to 0.8 at 1.
func ThreatScore(score float64) float64 {
	switch {
	case !(score >= beaconBase): // also NaN
		return 0
	case score < beaconLow:
		return threatNone + (score-beaconBase)/(beaconLow-beaconBase)*(threatLow-threatNone)
	case score < beaconMed:
		return threatLow + (score-beaconLow)/(beaconMed-beaconLow)*(threatMed-threatLow)
	default:
		score = min(score, beaconHigh)
		return threatMed + (score-beaconMed)/(beaconHigh-beaconMed)*(threatHigh-threatMed)
	}
}

// Category names a threat score as RITA does: none up to 0.2, low up to
// 0.4, medium up to 0.6, high up to 0.8 and critical above, which only
// modifiers (prevalence, first seen, threat intel) added to a threat score
// can reach.
func Category(threat float64) string {
	switch {
	case threat > threatHigh:
		return SevCritical
	case threat > threatMed:
		return SevHigh
	case threat > threatLow:
		return SevMedium
	case threat > threatNone:
		return SevLow
	}
	return SevNone
}

// Severity names a beacon score: Category(ThreatScore(score)). Without
// modifiers a beacon score is at most high: below 0.5 is none (as is 0.5
// itself, whose threat score is exactly 0.2), up to 0.75 low, up to 0.9
// medium, above high.
func Severity(score float64) string { return Category(ThreatScore(score)) }
