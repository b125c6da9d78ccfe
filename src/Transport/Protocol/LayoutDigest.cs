using System.Security.Cryptography;
using System.Text;
using FedLlm.Models.Lora;

namespace FedLlm.Transport.Protocol;

/// <summary>The adapter layout both sides compare at join: SHA-256 over every slot's name and shape.</summary>
public static class LayoutDigest
{
    public static string Of(ParameterLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var text = new StringBuilder();
        foreach (var slot in layout.Slots) text.Append(slot.Name).Append('[').AppendJoin(',', slot.Shape).Append("];");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
