"""W3C Bitstring Status Lists: index allocation, revocation/suspension bits, signed list credentials."""
