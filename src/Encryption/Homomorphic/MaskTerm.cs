namespace FedLlm.Encryption.Homomorphic;

/// <summary>One summand of a ciphertext's mask: the public seed of a fresh a_i and the integer weight it carries.</summary>
internal readonly record struct MaskTerm(byte[] Seed, long Weight);
