# ---- Counting instructions with dis -------------------------------------------------------
def code_of(function):
    return getattr(function, '__code__', None) or function.func_code


def instruction_offsets(code):
    """Offsets of `code`'s instructions and its backward jumps as (target, offset)."""
    jumps = []
    if hasattr(dis, 'get_instructions'):
        listed = [(i.offset, i.opcode, i.argval) for i in dis.get_instructions(code)]
        jumping = set(getattr(dis, 'hasjump', [])) | set(dis.hasjrel) | set(dis.hasjabs)
        for offset, opcode, target in listed:
            if opcode in jumping and isinstance(target, int) and target <= offset:
                jumps.append((target, offset))
        return [offset for offset, _, _ in listed], jumps
    raw = code.co_code  # Python 2.7: one byte of opcode, two of argument when it has one
    offsets = []
    i = 0
    while i < len(raw):
        opcode = ord(raw[i])
        offsets.append(i)
        if opcode >= dis.HAVE_ARGUMENT:
            arg = ord(raw[i + 1]) + ord(raw[i + 2]) * 256
            target = None
            if opcode in dis.hasjabs:
                target = arg
            elif opcode in dis.hasjrel:
                target = i + 3 + arg
            if target is not None and target <= i:
                jumps.append((target, i))
            i += 3
        else:
            i += 1
    return offsets, jumps


def loop_instructions(function):
    """Instructions one iteration of the innermost loop of `function` executes: those from the
    target of its backward jump to the jump itself (the loop body is straight-line code)."""
    offsets, jumps = instruction_offsets(code_of(function))
    target, jump = max(jumps)  # the innermost loop is the one that starts last
    return len([o for o in offsets if target <= o <= jump])
