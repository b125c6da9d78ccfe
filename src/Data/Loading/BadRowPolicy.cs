namespace FedLlm.Data.Loading;

/// <summary>What to do with a record that cannot be read or converted.</summary>
public enum BadRowPolicy
{
    /// <summary>Count it in the <see cref="LoadReport"/> (with the first few reasons) and continue.</summary>
    Skip,
    /// <summary>Stop with a <see cref="DataFormatException"/> naming file:line and the problem.</summary>
    Fail,
}
