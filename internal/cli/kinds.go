package cli

// The scenario kinds register themselves with the scenario package.
import (
	_ "fusion/internal/scenario/intelgen"
	_ "fusion/internal/scenario/network"
	_ "fusion/internal/scenario/sms"
	_ "fusion/internal/scenario/transactions"
)
