"""The payment rules: catalogue and tariff, pricing, audit, settlement, indicators and money in fen."""
