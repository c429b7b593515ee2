"""Install `focus` from the metadata in settings.ini (nbdev 2 layout)."""
from configparser import ConfigParser
from setuptools import find_packages, setup

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
c = cfg['DEFAULT']
setup(
    name=c['lib_name'], version=c['version'], description=c['description'],
    author=c['author'], author_email=c['author_email'], license=c['license'],
    url=c['git_url'], python_requires=f">={c['min_python']}",
    long_description=open('README.md', encoding='utf-8').read(), long_description_content_type='text/markdown',
    packages=find_packages(include=['focus', 'focus.*']), include_package_data=True, zip_safe=False,
    install_requires=c['requirements'].split(),
    extras_require={k: c[f'{k}_requirements'].split() for k in ('dev', 'onnx', 'demo')},
    entry_points={'console_scripts': c['console_scripts'].split(), 'nbdev': [f"{c['lib_path']}={c['lib_path']}._modidx:d"]},
)
