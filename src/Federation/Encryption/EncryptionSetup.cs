using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FedLlm.Federation.Pruning;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Federation.Encryption;

/// <summary>
/// The public settings every party of an encrypted run must share: HE parameters and the pruning plan (which depends on
/// the run seed). <see cref="Digest"/> lets a server turn away a member whose settings differ before anything is encrypted.
/// </summary>
public sealed record EncryptionSetup(HeParameters Parameters, PruningPlan Pruning)
{
    public string Digest
    {
        get
        {
            var schedule = Pruning.Schedule;
            string text = string.Create(CultureInfo.InvariantCulture,
                $"he={Parameters.FingerprintHex}|pruning={Pruning.Mode}|p0={schedule.InitialRate:R}|p1={schedule.FinalRate:R}|s={schedule.StartRound}|e={schedule.EndRound}|seed={Pruning.RunSeed}|values={Pruning.ParameterCount}");
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
        }
    }
}
