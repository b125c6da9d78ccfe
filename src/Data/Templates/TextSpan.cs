namespace FedLlm.Data.Templates;

/// <summary>A range of characters [Start, Start + Length) in a rendered text.</summary>
public readonly record struct TextSpan(int Start, int Length)
{
    public int End => Start + Length;

    public bool Contains(int index) => index >= Start && index < End;
}
