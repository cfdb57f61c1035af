"""Reference implementations that compute canonical answers and feedback numerics.

Only `grader key build` imports these modules (lazily); the grading path never does, so this
package file must stay free of heavy imports (torch, numpy, scipy).

    masked_conv  Q1   PixelCNN mask-A/B receptive fields (torch gradient + pure-python check)
    flows        Q2.1 forward KL in data space == reverse KL in base space (Monte Carlo)
    iwae         Q3.4 importance-weighted bounds L_1 <= L_2 <= ... <= log p(x)
    gan          Q4.6 optimal discriminator, JSD estimate, density recovery
"""
