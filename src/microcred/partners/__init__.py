"""Partners (employers, industry bodies, professional bodies): labour-market links of achievements, the
consultation and endorsement workflow, partner-signed OB 3.0 EndorsementCredentials and the relevance gate."""
