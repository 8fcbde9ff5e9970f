"""drgsim: simulate global budget + DRG + point-method hospital payment."""
