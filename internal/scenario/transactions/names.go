package transactions

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
)

// Synthetic names: common given names and surnames from many languages,
// already normalised as airline passenger names are (upper-case ASCII,
// SURNAME/GIVEN NAMES). Only their SHA-256 hashes are written.
var givenNames = []string{
	"JAMES", "MARY", "JOHN", "PATRICIA", "ROBERT", "JENNIFER", "MICHAEL", "LINDA", "DAVID", "ELIZABETH",
	"WILLIAM", "SUSAN", "RICHARD", "JESSICA", "THOMAS", "SARAH", "DANIEL", "KAREN", "MATTHEW", "NANCY",
	"EMMA", "OLIVIA", "NOAH", "LIAM", "SOPHIE", "LUCAS", "MIA", "LEON", "HANNAH", "FINN",
	"JAN", "ANNA", "PETER", "EVA", "LARS", "INGRID", "SVEN", "ASTRID", "MATTI", "AINO",
	"PIERRE", "MARIE", "JEAN", "CAMILLE", "LOUIS", "CHLOE", "HUGO", "LEA", "ANTOINE", "MANON",
	"JOSE", "MARIA", "ANTONIO", "CARMEN", "MANUEL", "LUCIA", "JAVIER", "PAULA", "DIEGO", "SOFIA",
	"GIUSEPPE", "GIULIA", "MARCO", "FRANCESCA", "LUCA", "CHIARA", "JOAO", "ANA", "PEDRO", "BEATRIZ",
	"PIOTR", "KATARZYNA", "TOMASZ", "AGNIESZKA", "PAVEL", "TEREZA", "ANDREI", "ELENA", "IVAN", "OLGA",
	"DIMITRIS", "ELENI", "MEHMET", "AYSE", "MUSTAFA", "FATMA", "AHMED", "FATIMA", "MOHAMMED", "AISHA",
	"OMAR", "LAYLA", "YUSUF", "MARYAM", "ALI", "ZAINAB", "HASSAN", "NOUR", "KHALID", "SALMA",
	"ADEBAYO", "CHIOMA", "KWAME", "AMA", "TENDAI", "THANDO", "SIPHO", "NALEDI", "KOFI", "ABENA",
	"RAHUL", "PRIYA", "AMIT", "ANANYA", "ARJUN", "DEEPIKA", "VIKRAM", "SNEHA", "RAVI", "KAVYA",
	"WEI", "XIU", "JUN", "LI", "HAO", "MEI", "YI", "LING", "HIROSHI", "YUKI",
	"TAKESHI", "SAKURA", "KENJI", "HARUKA", "MINJUN", "SEOYEON", "JIHO", "JIWOO", "MINH", "LINH",
	"ANH", "THAO", "SOMCHAI", "NAPAT", "BUDI", "SITI", "AGUS", "DEWI", "JOSEPH", "GRACE",
	"CARLOS", "GABRIELA", "MATEO", "VALENTINA", "SANTIAGO", "ISABELLA", "LUIS", "CAMILA", "JACK", "CHARLOTTE",
}

var surnames = []string{
	"SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ", "MARTINEZ",
	"HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "TAYLOR", "MOORE", "JACKSON", "MARTIN", "LEE",
	"THOMPSON", "WHITE", "HARRIS", "CLARK", "LEWIS", "ROBINSON", "WALKER", "YOUNG", "ALLEN", "KING",
	"MUELLER", "SCHMIDT", "SCHNEIDER", "FISCHER", "WEBER", "MEYER", "WAGNER", "BECKER", "SCHULZ", "HOFFMANN",
	"DE JONG", "JANSEN", "DE VRIES", "VAN DEN BERG", "BAKKER", "VISSER", "SMIT", "MEIJER", "PEETERS", "MAES",
	"BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU", "SIMON",
	"FERNANDEZ", "SANCHEZ", "PEREZ", "GOMEZ", "DIAZ", "MORENO", "ALVAREZ", "ROMERO", "RUIZ", "NAVARRO",
	"ROSSI", "RUSSO", "FERRARI", "ESPOSITO", "BIANCHI", "ROMANO", "COLOMBO", "RICCI", "MARINO", "GRECO",
	"SILVA", "SANTOS", "FERREIRA", "PEREIRA", "OLIVEIRA", "COSTA", "RODRIGUES", "ALMEIDA", "NASCIMENTO", "LIMA",
	"NOWAK", "KOWALSKI", "WISNIEWSKI", "WOJCIK", "KOWALCZYK", "NOVAK", "SVOBODA", "NAGY", "HORVATH", "POPESCU",
	"IVANOV", "SMIRNOV", "KUZNETSOV", "POPOV", "PETROV", "PAPADOPOULOS", "GEORGIOU", "YILMAZ", "KAYA", "DEMIR",
	"HANSEN", "JOHANSSON", "ANDERSSON", "NIELSEN", "LARSEN", "KORHONEN", "VIRTANEN", "OLSEN", "BERG", "LINDQVIST",
	"MURPHY", "KELLY", "OBRIEN", "WALSH", "BYRNE", "CAMPBELL", "STEWART", "MACDONALD", "EVANS", "HUGHES",
	"AL SAYED", "HASSAN", "HUSSEIN", "ABDULLAH", "IBRAHIM", "MAHMOUD", "KHAN", "RAHMAN", "HOSSAIN", "AHMED",
	"OKAFOR", "ADEYEMI", "OKONKWO", "MENSAH", "BOATENG", "MWANGI", "OTIENO", "DLAMINI", "NKOSI", "BANDA",
	"SHARMA", "PATEL", "SINGH", "KUMAR", "GUPTA", "REDDY", "IYER", "NAIR", "DAS", "MEHTA",
	"WANG", "ZHANG", "LIU", "CHEN", "YANG", "HUANG", "ZHAO", "WU", "ZHOU", "XU",
	"SATO", "SUZUKI", "TAKAHASHI", "TANAKA", "WATANABE", "KIM", "PARK", "CHOI", "JUNG", "KANG",
	"NGUYEN", "TRAN", "PHAM", "LE", "HOANG", "SANTOSO", "WIJAYA", "REYES", "CRUZ", "BAUTISTA",
	"TAN", "LIM", "NG", "WONG", "CHAN", "CHAUDHRY", "ABE", "MORI", "CASTILLO", "VARGAS",
}

// randomName appends a random normalised name, SURNAME/GIVEN with a middle
// name half the time, to dst.
func randomName(dst []byte, r *rand.Rand, surname int) []byte {
	dst = append(dst, surnames[surname]...)
	dst = append(dst, '/')
	dst = append(dst, givenNames[r.IntN(len(givenNames))]...)
	if r.IntN(2) == 0 {
		dst = append(dst, ' ')
		dst = append(dst, givenNames[r.IntN(len(givenNames))]...)
	}
	return dst
}

// hasher hashes synthetic identities to hex SHA-256 without allocating.
type hasher struct {
	seed string // mixed into every identity so that seeds differ
	buf  []byte
}

func newHasher(seed uint64) *hasher {
	return &hasher{seed: strconv.FormatUint(seed, 10)}
}

// name writes the hex SHA-256 of a normalised name into dst (64 bytes).
func (h *hasher) name(dst []byte, name []byte) {
	sum := sha256.Sum256(name)
	hex.Encode(dst[:64], sum[:])
}

// identity writes the hex SHA-256 of a synthetic identifier — a card, an
// account — of the given kind and serial into dst (64 bytes).
func (h *hasher) identity(dst []byte, kind string, serial uint64) {
	h.buf = append(h.buf[:0], kind...)
	h.buf = append(h.buf, '/')
	h.buf = append(h.buf, h.seed...)
	h.buf = append(h.buf, '/')
	h.buf = strconv.AppendUint(h.buf, serial, 10)
	sum := sha256.Sum256(h.buf)
	hex.Encode(dst[:64], sum[:])
}
