using FedLlm.Models.SafeTensors;

namespace FedLlm.Fuzz.Targets;

/// <summary>
/// A whole safetensors file (length prefix, JSON header, data buffer) opened as a model load opens it; every tensor the
/// header accepts is then read back, so an accepted header must also describe readable bytes.
/// Bad input: <see cref="SafeTensorsFormatException"/>.
/// </summary>
public sealed class SafeTensorsHeaderTarget : FuzzTarget
{
    public override string Name => "safetensors";

    public override bool Run(byte[] input, ScratchDirectory scratch)
    {
        string path = scratch.Write("model.safetensors", input);
        try
        {
            using var file = SafeTensorsFile.Open(path);
            foreach (var info in file.Tensors.Values)
                file.ReadBytes(info.Name, new byte[info.ByteLength]);
            return true;
        }
        catch (SafeTensorsFormatException)
        {
            return false;
        }
    }
}
