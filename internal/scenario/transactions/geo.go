package transactions

import "math"

// earthKm is the mean radius of the Earth in kilometres.
const earthKm = 6371.0088

// vec3 is a point on the unit sphere.
type vec3 struct{ x, y, z float64 }

func toVec(lat, lon float64) vec3 {
	la, lo := lat*math.Pi/180, lon*math.Pi/180
	return vec3{math.Cos(la) * math.Cos(lo), math.Cos(la) * math.Sin(lo), math.Sin(la)}
}

// km is the great-circle distance between a and b.
func km(a, b vec3) float64 {
	d := a.x*b.x + a.y*b.y + a.z*b.z
	return earthKm * math.Acos(max(-1, min(1, d)))
}
