using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FedLlm.Federation.Pruning;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Federation.Encryption;

/// <summary>
/// The public settings every party of an encrypted run must share: HE parameters, the pruning plan (which depends on
/// the run seed) and the server step every member runs on the decrypted mean (<paramref name="ServerStep"/>: algorithm
/// and hyperparameters, so all members compute the same global). <see cref="Digest"/> lets a server turn away a member
/// whose settings differ before anything is encrypted.
/// </summary>
public sealed record EncryptionSetup(HeParameters Parameters, PruningPlan Pruning, string ServerStep)
{
    public string Digest
    {
        get
        {
            var schedule = Pruning.Schedule;
            string text = string.Create(CultureInfo.InvariantCulture,
                $"he={Parameters.FingerprintHex}|pruning={Pruning.Mode}|p0={schedule.InitialRate:R}|p1={schedule.FinalRate:R}|s={schedule.StartRound}|e={schedule.EndRound}|seed={Pruning.RunSeed}|values={Pruning.ParameterCount}|step={ServerStep}");
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
        }
    }
}
