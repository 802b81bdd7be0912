"""The core must import and run with PySide6 (and torch) absent."""
import subprocess
import sys
import textwrap


def test_core_never_imports_qt_or_torch():
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('PySide6', 'shiboken6', 'torch'):
                    raise ImportError('blocked ' + name)
        sys.meta_path.insert(0, Block())
        import pkgutil, importlib, captag_desktop.core as core
        for m in pkgutil.iter_modules(core.__path__):
            importlib.import_module('captag_desktop.core.' + m.name)
        import captag_desktop.cli
        assert not any(k.startswith(('PySide6', 'torch')) for k in sys.modules)
        print('ok')
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
